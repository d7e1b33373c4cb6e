"""A child for the qmt SIGKILL test: the engine on replayed A-share sessions, trading through the
bridge server of the parent (``python tests/engine/qmt/crash_child.py URL DB_URL``).

It opens a long position whenever it has none and, from the next trading day on (T+1), drives the
price under the stop so the engine-watched stop goes out; ``SIGNALPILOT_CRASH_AT`` (set by the
parent) makes it SIGKILL itself at that commit point. Prints ``done`` when the replay ends.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from engine.brokers.errors import BrokerError  # noqa: E402
from engine.domain.models import PositionState, Side  # noqa: E402
from engine.market.base import PriceTick  # noqa: E402
from engine.market_rules.calendar import SHANGHAI  # noqa: E402
from tests.engine.qmt.engine_rig import STOCK, start_rig  # noqa: E402

MAX_STEPS = 400


async def trade(url: str, db_url: str) -> None:
    rig = await start_rig(url, db_url)
    engine = rig.engine
    for _ in range(MAX_STEPS):
        if not await rig.step():
            break
        try:
            opened = engine.manager.open_positions()
            if not opened:
                sig = await engine.analyse(STOCK)
                if sig is not None and sig.side is Side.LONG:
                    await engine.confirm(sig.id, by="crash-child")
                    await rig.settle()
                continue
            pos = opened[0]
            bought = (pos.opened_at or pos.created_at).astimezone(SHANGHAI).date()
            if pos.state is PositionState.OPEN and rig.day is not None and rig.day > bought:
                below = pos.stop_price - Decimal("0.05")
                await rig.sim.price(STOCK, below)
                await engine.on_tick(PriceTick(STOCK, below, engine.clock.now()))
                await rig.settle()
        except BrokerError as exc:
            logging.getLogger("crash_child").warning("%s", exc)
    print("done", flush=True)
    await rig.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(trade(sys.argv[1], sys.argv[2]))
