"""Child processes for the SIGKILL tests: live engines trading against a FakeBinance of the parent.

Run as ``python tests/engine/live/crash_child.py``: a fork server. It imports everything once
(about 1.5 s of CPU: ccxt, SQLAlchemy, numpy), prints ``zygote``, then reads jobs from stdin, one
JSON object a line: ``{"url": fake base url, "db": database url, "symbols": [...], "log": path,
"crash_at": commit point (optional), "risk": settings of SP_RISK__ over the test's (optional),
"exit": ``twap`` or ``iceberg`` (optional: each open position, once no run of its own is going, is
closed in slices by that algorithm, once)}``. For each it forks a child and prints ``forked <pid>``; the
child (its stderr to ``log``) sets ``SIGNALPILOT_CRASH_AT`` to ``crash_at`` and arms the hook
(engine/crashpoints.py), builds and starts the live engine (price feed on, jobs off), prints
``ready <pid>`` and opens a position on every symbol of the list that has none, again and again,
until it SIGKILLs itself at its commit point (or the parent kills it). The fork server reaps its
children and prints ``exited <pid> <wait status>``.
Every line is one ``os.write`` of less than PIPE_BUF bytes, so lines never interleave.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from engine import crashpoints  # noqa: E402
from engine.brokers.errors import BrokerError  # noqa: E402
from engine.domain.models import PositionState  # noqa: E402
from tests.engine.live.harness import CHURN, build_live_engine, live_settings  # noqa: E402


def say(text: str) -> None:
    os.write(1, (text + "\n").encode())


async def trade(job: dict) -> None:
    settings = live_settings(job["url"], job["db"], scan={"symbols": job["symbols"]},
                             risk={**CHURN, **job.get("risk", {})})
    engine = await build_live_engine(settings)
    await engine.start(run_feed=True, run_jobs=False)
    say(f"ready {os.getpid()}")
    exiting: set[str] = set()
    while True:
        for pos in engine.manager.open_positions() if job.get("exit") else ():
            if pos.state is PositionState.OPEN and pos.id not in exiting and not any(
                    not a.status.is_final for a in engine.manager.algos_of(pos.id)):
                exiting.add(pos.id)
                await engine.close_by_algo(pos.id, by="crash-child", algo=job["exit"], confirm=True)
        busy = {p.symbol for p in engine.manager.open_positions()}
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


def child(job: dict) -> None:
    """In the forked process: never returns (os._exit)."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        log = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(log, 2)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr, force=True,
                            format="%(asctime)s %(name)s %(levelname)s %(message)s")
        os.environ[crashpoints.ENV] = job.get("crash_at") or ""
        crashpoints.arm()  # this module was imported before the fork: read the variable again
        asyncio.run(trade(job))
    except BaseException:
        logging.getLogger("crash_child").exception("child failed")
    finally:
        os._exit(code)


def reap(_signum: int, _frame: object) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        say(f"exited {pid} {status}")


def main() -> None:
    signal.signal(signal.SIGCHLD, reap)
    say("zygote")
    for line in sys.stdin:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            child(job)
        say(f"forked {pid}")


if __name__ == "__main__":
    main()
