"""Child process for test_streak_restart.py: a paper engine on the bundled replay opens a position on
ETH/BTC and the price goes through its stop; ``SIGNALPILOT_CRASH_AT=position-closed`` (set by the
parent) SIGKILLs it right after the commit that closes the position (engine/crashpoints.py).

Run as ``python tests/engine/risk/crash_close.py DB_URL``; prints ``opened <position id> <leverage>``
before the losing tick. Reaching its end (no kill) exits 3.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from engine.facade import Engine  # noqa: E402
from engine.market.base import PriceTick  # noqa: E402
from tests.conftest import engine_settings  # noqa: E402

SECTIONS: dict[str, dict] = {"risk": {"loss_streak": 1, "recovery_wins": 1, "reduce_factor": "0.5"},
                             "plan": {"min_leverage": 4}}


async def main(db_url: str) -> None:
    engine = await Engine.create(engine_settings(db_url, **SECTIONS))
    await engine.start(run_feed=False, run_jobs=False)
    await engine.step_market(1)
    sig = await engine.analyse("eth/btc")
    assert sig is not None
    result = await engine.confirm(sig.id, by="1")
    assert result.position is not None, result
    pos = result.position
    os.write(1, f"opened {pos.id} {pos.leverage}\n".encode())
    through = pos.stop_price - sig.side.sign * pos.stop_price / 100
    await engine.on_tick(PriceTick(sig.symbol, through, engine.clock.now()))  # the stop: closed at a loss
    await engine.stop()
    sys.exit(3)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
