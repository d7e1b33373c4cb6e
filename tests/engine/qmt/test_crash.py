"""The engine trading A-shares through the bridge, killed with SIGKILL at each commit point of a
lifecycle and restarted on the same database: QMT never gets one client order id twice (each
``order_remark`` once), and a fresh engine then agrees with QMT on positions and fills.

Each child (crash_child.py) runs on replayed sessions against the bridge server of this process
(simulated trader, real HTTP) and kills itself right after the named commit
(engine/crashpoints.py), so where the kill lands does not depend on timing.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

from engine.crashpoints import ENV
from tests.engine.qmt.bridge import running_bridge
from tests.engine.qmt.engine_rig import STOCK, start_rig

CHILD = Path(__file__).with_name("crash_child.py")
# A fill is recorded in the commit that applies it: the stop's fill and the position closed are one
# commit (``stop-fill-recorded`` is also ``position-closed``), so the last kill covers both.
PHASES = ("entry-persisted", "entry-acknowledged", "entry-fill-recorded", "stop-persisted",
          "stop-acknowledged", "stop-fill-recorded")


async def _child(url: str, db_url: str, crash_at: str, log: Path) -> tuple[int | None, str]:
    env = {**os.environ, ENV: crash_at}
    with log.open("wb") as err:
        proc = await asyncio.create_subprocess_exec(sys.executable, str(CHILD), url, db_url, env=env,
                                                    stdout=asyncio.subprocess.PIPE, stderr=err)
        out, _ = await asyncio.wait_for(proc.communicate(), 600)  # a hang guard, never reached when healthy
    return proc.returncode, out.decode()


async def test_sigkill_at_each_commit_point_never_sends_an_order_twice(tmp_path: Path) -> None:
    async with running_bridge() as srv:
        db_url = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
        died = []
        for n, phase in enumerate(PHASES):
            code, out = await _child(srv.url, db_url, phase, tmp_path / f"child{n}.log")
            log = (tmp_path / f"child{n}.log").read_text()
            assert code == -9, f"{phase}: exit {code}, {out!r}\n{log[-3000:]}"
            assert f"crashpoint {phase}#1" in log
            died.append(phase)
        remarks = Counter(o.order_remark for o in srv.sim.orders.values())
        assert remarks and max(remarks.values()) == 1, remarks  # 0 duplicate orders
        # a fresh engine on the same database: reconciled with QMT
        rig = await start_rig(srv, db_url)
        try:
            await rig.settle()
            ours = sum((p.remaining for p in rig.engine.manager.open_positions()), Decimal(0))
            venue = sum((Decimal(p.volume) for p in srv.sim.positions.values() if p.stock_code == STOCK),
                        Decimal(0))
            assert ours == venue
            recorded = {f.trade_id for pos in await rig.engine.repository.open_positions()
                        for f in await rig.engine.repository.fills_for(pos.id)}
            open_remarks = {f"sp-{p.id}-" for p in rig.engine.manager.open_positions()}
            venue_trades = {t["traded_id"] for t in srv.sim.trades
                            if any(str(t["order_remark"]).startswith(r) for r in open_remarks)}
            assert venue_trades <= recorded
        finally:
            await rig.close()
        assert died == list(PHASES)
