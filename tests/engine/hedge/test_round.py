"""The round's safety: a leg that cannot open unwinds the other at once; a crash at any saved step,
followed by a restart, ends with no naked leg and no order placed twice (real paper brokers whose
accounts live in the same database as the rounds)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest

from config.settings import Settings
from engine.clock import ManualClock
from engine.domain.hedge import HedgeAlert, LegExit, LegState, RoundState
from engine.hedge.replay import EPOCH
from engine.hedge.round import HedgeRunner
from engine.hedge.rules import Rules
from engine.hedge.store import KvHedgeStore, MemoryHedgeStore
from engine.market.base import PriceTick
from engine.market.replay import ReplayMarketData
from engine.storage.db import Database
from engine.storage.repository import Repository
from engine.venues import VenueHandle, build_paper_venue, paper_store
from tests.engine.hedge.data import flat, write_venue

RULES = Rules(D("0.8"), D("1.2"))


def venue(tmp: Path, name: str, clock: ManualClock, repo: Repository | None, balance: str = "10000") -> VenueHandle:
    folder = tmp / name
    if not folder.is_dir():
        write_venue(tmp, name, flat())
    market = ReplayMarketData(folder, clock, base_timeframe="1m", symbols=["SOL/USDT"], warmup=0, speed=0)
    settings = Settings(_env_file=None, broker={"paper_balance": balance}, telegram={"token": None})  # type: ignore[call-arg]
    store = paper_store(repo.db, name) if repo is not None else None
    return build_paper_venue(name, settings, clock, market, store=store)


async def prime(clock: ManualClock, *venues: VenueHandle) -> None:
    """One replayed period per venue, so each has a price and its paper broker a mark."""
    for v in venues:
        async def feed(tick: PriceTick, v: VenueHandle = v) -> None:
            await v.broker.on_price(tick)
        await v.market.step(feed)  # type: ignore[attr-defined]


async def test_a_refused_leg_unwinds_the_other_at_once_and_alerts(tmp_path: Path) -> None:
    clock = ManualClock(EPOCH)
    short, long = venue(tmp_path, "aster", clock, None), venue(tmp_path, "backpack", clock, None, balance="1")
    await prime(clock, short, long)
    store = MemoryHedgeStore()
    runner = HedgeRunner(store, clock, short, long, RULES)
    rnd = await runner.open("SOL/USDT", D("25"))
    assert rnd.state is RoundState.DONE
    assert rnd.leg("l").state is LegState.FAILED
    assert rnd.leg("s").state is LegState.CLOSED and rnd.leg("s").reason is LegExit.UNWIND
    assert await short.broker.positions() == [] and await long.broker.positions() == []
    assert [e.kind for e in store.events] == [HedgeAlert.UNWOUND, HedgeAlert.ENDED]
    assert store.events[0].venue == "aster"


class Crash(BaseException):
    """Stands for a SIGKILL: nothing after it runs."""


class CrashingStore(KvHedgeStore):
    def __init__(self, repo: Repository, at: int) -> None:
        super().__init__(repo)
        self.at, self.saves = at, 0

    async def save(self, rnd, events=()):  # type: ignore[no-untyped-def]
        self.saves += 1
        if self.saves == self.at:
            raise Crash
        await super().save(rnd, events)


async def _crash_run(tmp: Path, db: Database, at: int) -> bool:
    """Open a round, stop the short leg, force-close: crash at save number ``at``. True if it crashed."""
    repo = Repository(db)
    clock = ManualClock(EPOCH)
    short, long = venue(tmp, "aster", clock, repo), venue(tmp, "backpack", clock, repo)
    await prime(clock, short, long)
    runner = HedgeRunner(CrashingStore(repo, at), clock, short, long, RULES, max_hold=timedelta(minutes=30))
    try:
        await runner.open("SOL/USDT", D("25"))
        await short.broker.on_price(PriceTick("SOL/USDT", D("101.5"), clock.now()))  # the short's stop fills
        await runner.on_price("s", D("101.5"))
        await runner.request_stop()
    except Crash:
        return True
    return False


@pytest.mark.parametrize("at", range(1, 12))
async def test_a_crash_at_any_step_then_a_restart_leaves_no_naked_leg_and_no_duplicate(
        tmp_path: Path, database: Database, at: int) -> None:
    crashed = await _crash_run(tmp_path, database, at)
    repo = Repository(database)
    clock = ManualClock(EPOCH)
    short, long = venue(tmp_path, "aster", clock, repo), venue(tmp_path, "backpack", clock, repo)
    await prime(clock, short, long)
    store = KvHedgeStore(repo)
    runner = HedgeRunner(store, clock, short, long, RULES)
    rnd = await runner.recover()
    if rnd is not None and rnd.is_active:
        await runner.request_stop()
        rnd = runner.round
    assert rnd is None or not rnd.is_active, (at, crashed, rnd)
    assert await short.broker.positions() == [] and await long.broker.positions() == [], at
    assert await short.broker.open_orders() == [] and await long.broker.open_orders() == [], at
    if rnd is not None:  # every order of the round was placed once: one fill per filled client id at most
        for v, leg in ((short, rnd.leg("s")), (long, rnd.leg("l"))):
            assert leg.state in (LegState.CLOSED, LegState.FAILED), (at, leg)
            for kind in ("en", "sl", "tp", "cl"):
                for n in (1, 2, 3):
                    fills = await v.broker.fetch_fills(f"hg-{rnd.id}-{leg.role}{kind}-{n}", "SOL/USDT")
                    assert len(fills) <= 1, (at, kind, n)
    assert await store.active() == []


async def test_a_venue_refusing_the_leverage_opens_nothing(tmp_path: Path) -> None:
    clock = ManualClock(EPOCH)
    short, long = venue(tmp_path, "aster", clock, None), venue(tmp_path, "backpack", clock, None)
    await prime(clock, short, long)
    store = MemoryHedgeStore()
    rnd = await HedgeRunner(store, clock, short, long, RULES, leverage=500).open("SOL/USDT", D("25"))
    assert rnd.state is RoundState.FAILED and not rnd.is_active
    assert await short.broker.positions() == [] and await long.broker.positions() == []
    assert [e.kind for e in store.events] == [HedgeAlert.FAILED]
