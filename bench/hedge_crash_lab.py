"""The hedge crash lab: a child process that trades hedge rounds on two paper venues whose accounts
and rounds live in one SQLite file (``python bench/hedge_crash_lab.py child DB DATA``), and the audit
the parent runs on that file after killing it (``audit``).

The child replays both venues' candles (moving prices: stops and take-profits fill), opens a round
whenever none is under way, and sleeps a little between prices so that a SIGKILL lands anywhere:
inside a commit, between an order and its save, during recovery. On start it recovers the round a
previous child left. The audit restarts the same way in-process, then checks: every position on a
venue belongs to an open leg of the round under way (same side and size), no open leg whose partner
never opened, no client id filled twice; then it force-closes and checks that both venues are flat
with no resting order.
"""

from __future__ import annotations

import asyncio
import math
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.settings import Settings  # noqa: E402
from engine.clock import ManualClock  # noqa: E402
from engine.domain.hedge import LegState  # noqa: E402
from engine.hedge.replay import EPOCH  # noqa: E402
from engine.hedge.round import HedgeRunner  # noqa: E402
from engine.hedge.rules import Rules  # noqa: E402
from engine.hedge.store import KvHedgeStore  # noqa: E402
from engine.market.base import PriceTick  # noqa: E402
from engine.market.replay import ReplayMarketData  # noqa: E402
from engine.storage.db import Database  # noqa: E402
from engine.storage.repository import Repository  # noqa: E402
from engine.venues import VenueHandle, build_paper_venue, paper_store  # noqa: E402
from tests.engine.hedge.data import write_venue  # noqa: E402

SYMBOL = "SOL/USDT"


def write_data(folder: Path, n: int = 3000) -> None:
    wave = [100 + 3 * math.sin(i / 9) + 1.5 * math.sin(i / 2.3) for i in range(n)]
    write_venue(folder, "aster", wave)
    write_venue(folder, "backpack", [p + 0.2 * math.sin(i / 5) for i, p in enumerate(wave)])


async def lab(db_url: str, data: Path) -> tuple[Database, Any, dict[str, VenueHandle], HedgeRunner]:
    db = Database(db_url)
    await db.migrate()
    repo = Repository(db)
    clock = ManualClock(EPOCH)
    settings = Settings(_env_file=None, telegram={"token": None})  # type: ignore[call-arg]
    venues = {}
    for role, name in (("s", "aster"), ("l", "backpack")):
        market = ReplayMarketData(data / name, clock, base_timeframe="1m", symbols=[SYMBOL], warmup=0, speed=0)
        venues[role] = build_paper_venue(name, settings, clock, market,
                                         store=paper_store(db, name))
    venues["l"].resting_stops = False  # one venue without resting stops: the engine closes that leg
    runner = HedgeRunner(KvHedgeStore(repo), clock, venues["s"], venues["l"], Rules(Decimal("0.8"), Decimal("1.2")))
    for role, v in venues.items():
        await v.broker.start()
        async def feed(tick: PriceTick, v: VenueHandle = v, role: str = role) -> None:
            await v.broker.on_price(tick)
            runner.marks[role] = tick.price
        await v.market.step(feed)  # type: ignore[attr-defined]
    return db, repo, venues, runner


async def child(db_url: str, data: Path, offset: int) -> None:
    db, _, venues, runner = await lab(db_url, data)
    print("started", flush=True)  # the parent's kill delay counts from here (start-up itself may be killed)
    await runner.recover()
    for v in venues.values():  # each child starts further into the data: prices keep moving
        for _ in range(offset):
            await v.market.step(v.broker.on_price)  # type: ignore[attr-defined]
    while True:
        moved = False
        for role, v in venues.items():
            async def tick(t: PriceTick, v: VenueHandle = v, role: str = role) -> None:
                await v.broker.on_price(t)
                await runner.on_price(role, t.price)
                await asyncio.sleep(0.001)
            moved = await v.market.step(tick) or moved  # type: ignore[attr-defined]
        await runner.check()
        if runner.round is None or not runner.round.is_active:
            await runner.open(SYMBOL, Decimal("25"))
        if not moved:
            break
    await db.close()


@dataclass
class Audit:
    naked: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    not_flat: list[str] = field(default_factory=list)
    rounds: int = 0
    recovered_active: bool = False
    found_active: bool = False  # a round was under way in the file when the child died


async def audit(db_url: str, data: Path) -> Audit:
    db, repo, venues, runner = await lab(db_url, data)
    out = Audit()
    out.found_active = bool(await runner.store.active())
    rnd = await runner.recover()
    out.recovered_active = rnd is not None and rnd.is_active
    open_legs = {leg.role: leg for leg in (rnd.legs if rnd is not None and rnd.is_active else ()) if leg.is_open}
    for role, v in venues.items():
        for pos in await v.broker.positions():
            leg = open_legs.get(role)
            if leg is None or leg.side is not pos.side or leg.qty != pos.qty:
                out.naked.append(f"{v.name}: {pos.side.value} {pos.qty} not an open leg ({leg})")
    if rnd is not None and rnd.is_active:
        states = {leg.role: leg.state for leg in rnd.legs}
        if LegState.FAILED in states.values() and LegState.OPEN in states.values():
            out.naked.append(f"round {rnd.id}: one leg open, the other never opened")
    docs = await repo.kv_prefix("hedge:")
    out.rounds = len(docs)
    for rid in [k.removeprefix("hedge:") for k in docs]:
        for role, v in venues.items():
            for kind in ("en", "sl", "tp", "cl"):
                for n in range(1, 4):
                    cid = f"hg-{rid}-{role}{kind}-{n}"
                    if len(await v.broker.fetch_fills(cid, SYMBOL)) > 1:
                        out.duplicates.append(cid)
    await runner.request_stop()
    for v in venues.values():
        if await v.broker.positions() or await v.broker.open_orders():
            out.not_flat.append(v.name)
    await db.close()
    return out


if __name__ == "__main__":
    asyncio.run(child(sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])))
