"""Child process for the SIGKILL tests: a live engine trading against a FakeBinance of the parent.

Run as ``python tests/engine/live/crash_child.py``. It imports everything, then waits for one
line on stdin: a JSON object ``{"url": fake base url, "db": database url, "symbols": [...]}``.
It then builds and starts the live engine (price feed on, jobs off), prints ``ready`` and opens a
position on every symbol of the list that has none, again and again, until it is killed. The
parent moves the fake's prices (``VenueDriver``) and kills it with SIGKILL at a random moment.
Logs go to stderr (WARNING and above).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from engine.brokers.errors import BrokerError  # noqa: E402
from tests.engine.live.harness import CHURN, build_live_engine, live_settings  # noqa: E402


async def trade(job: dict) -> None:
    engine = await build_live_engine(live_settings(job["url"], job["db"], scan={"symbols": job["symbols"]},
                                                      risk=CHURN))
    await engine.start(run_feed=True, run_jobs=False)
    print("ready", flush=True)
    while True:
        busy = {p.symbol for p in engine.c.manager.open_positions()}
        for symbol in job["symbols"]:
            if symbol in busy:
                continue
            try:
                sig = await engine.analyse(symbol)
                if sig is not None:
                    await engine.confirm(sig.id, by="crash-child")
            except BrokerError as exc:
                logging.getLogger("crash_child").warning("%s: %s", symbol, exc)
        await asyncio.sleep(0.02)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    print("imported", flush=True)
    job = json.loads(sys.stdin.readline())
    asyncio.run(trade(job))


if __name__ == "__main__":
    main()
