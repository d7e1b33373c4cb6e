"""TWAP and iceberg runs: the pure transitions (slicing, the seeded jitter, refills, the stop price
reached) and whole runs on the paper broker through the manager and the algorithm watch (an entry
opened on its first slice and re-protected on each, an exit in slices, a restart that resumes)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from config.settings import BrokerSettings
from engine.brokers.paper import PaperBroker
from engine.bus import EventBus
from engine.clock import ManualClock
from engine.domain.algos import Algo, AlgoKind, AlgoStatus, progress, slice_time
from engine.domain.events import AlgoProgressed, EntryNotFilled, Event, PositionClosed, PositionOpened
from engine.domain.ids import ClientOrderId
from engine.domain.models import Leg, MarketSpec, OrderStatus, OrderType, PositionState, Signal, Target
from engine.domain.values import ZERO, Side
from engine.execution import algos
from engine.execution.algo_watch import AlgoWatch
from engine.execution.algos import AlgoPlan
from engine.market.base import PriceTick
from engine.positions import lifecycle as lc
from engine.positions.manager import PositionManager
from engine.storage.db import Database
from engine.storage.repository import Repository

MKT = MarketSpec("ETH/USDT", "ETH", "USDT", Decimal("0.01"), Decimal("0.001"), Decimal("0.001"), Decimal("5"))
T0 = datetime(2024, 3, 1, tzinfo=UTC)
CTX = lc.Context(market=MKT, taker_fee=Decimal("0.0004"))
TWAP = AlgoPlan(AlgoKind.TWAP, minutes=Decimal(10), slices=5)
ICEBERG = AlgoPlan(AlgoKind.ICEBERG, minutes=Decimal(60), visible_pct=Decimal(25))


async def market(symbol: str) -> MarketSpec:
    return MKT


def signal() -> Signal:
    return Signal(id="sig", symbol="ETH/USDT", side=Side.LONG, score=80, factors=(), entry=Decimal("100"),
                  stop=Decimal("98"), targets=(Target(Decimal("104"), Decimal("0.5")), Target(Decimal("108"), Decimal("0.5"))),
                  leverage=3, created_at=T0, expires_at=T0 + timedelta(minutes=15))


def opening(plan: AlgoPlan, qty: str = "1") -> lc.Transition:
    tr = lc.open_position(signal(), "p1", Decimal(qty), T0, single_target=False)
    return algos.shape_entry(tr, plan, MKT, paper=True)


# --- pure transitions ------------------------------------------------------------------------------------
def test_twap_entry_starts_with_slice_zero_under_a_slice_client_id_and_its_state() -> None:
    tr = opening(TWAP)
    assert [o.client_id for o in tr.orders] == ["sp-p1-te-0-0"]
    assert ClientOrderId.parse("sp-p1-te-0-0") == ClientOrderId("p1", "te", 0, 0)
    assert tr.orders[0].qty == Decimal("0.2") and tr.orders[0].type is OrderType.MARKET
    (algo,) = tr.algos
    assert (algo.sent, algo.slices, algo.total, algo.status) == (1, 5, Decimal("1"), AlgoStatus.RUNNING)
    assert tr.position.state is PositionState.PENDING and tr.position.qty == Decimal("1")


def test_twap_slices_go_at_even_times_and_several_due_at_once_all_go() -> None:
    tr = opening(TWAP)
    algo = tr.algos[0]
    orders = [replace(tr.orders[0], status=OrderStatus.FILLED, filled_qty=Decimal("0.2"), avg_price=Decimal(100))]
    pos = replace(tr.position, state=PositionState.OPEN, remaining=Decimal("0.2"))
    assert algos.step(algo, pos, orders, Decimal(100), T0 + timedelta(minutes=1), CTX) is not None  # progress 1/5
    quiet = replace(algo, reported=1)
    assert algos.step(quiet, pos, orders, Decimal(100), T0 + timedelta(minutes=1), CTX) is None  # slice 1 at 2 min
    late = algos.step(quiet, pos, orders, Decimal(100), T0 + timedelta(minutes=6), CTX)
    assert late is not None
    assert [o.client_id for o in late.orders] == ["sp-p1-te-0-1", "sp-p1-te-0-2", "sp-p1-te-0-3"]
    assert late.algos[0].sent == 4


def test_the_last_slice_takes_what_a_refused_slice_left() -> None:
    tr = opening(TWAP)
    algo = replace(tr.algos[0], sent=4, reported=3)
    filled = [replace(o, status=OrderStatus.FILLED, filled_qty=Decimal("0.2"), avg_price=Decimal(100))
              for o in (algos.slice_order(algo, tr.position, i, Decimal("0.2"), T0) for i in (0, 1, 2))]
    refused = replace(algos.slice_order(algo, tr.position, 3, Decimal("0.2"), T0), status=OrderStatus.REJECTED)
    pos = replace(tr.position, state=PositionState.OPEN, remaining=Decimal("0.6"))
    last = algos.step(algo, pos, [*filled, refused], Decimal(100), T0 + timedelta(minutes=9), CTX)
    assert last is not None and [(o.client_id, o.qty) for o in last.orders] == [("sp-p1-te-0-4", Decimal("0.4"))]


def test_jitter_is_seeded_by_the_position_the_same_in_every_process() -> None:
    plan = replace(TWAP, jitter_pct=Decimal(40))
    a, b = opening(plan).algos[0], opening(plan).algos[0]
    times = [slice_time(a, i) for i in range(5)]
    assert times == [slice_time(b, i) for i in range(5)]
    assert times[0] == T0 and times != [T0 + timedelta(minutes=2 * i) for i in range(5)]
    assert all(abs((t - (T0 + timedelta(minutes=2 * i))).total_seconds()) <= 48 for i, t in enumerate(times))
    assert times == sorted(times)


def test_twap_entry_stops_at_the_stop_price_nothing_filled_ends_as_not_filled() -> None:
    tr = opening(TWAP)
    working = replace(tr.orders[0], status=OrderStatus.OPEN)
    ended = algos.step(tr.algos[0], tr.position, [working], Decimal("97.9"), T0 + timedelta(minutes=1), CTX)
    assert ended is not None and ended.algos[0].status is AlgoStatus.STOPPED
    assert [type(a).__name__ for a in ended.actions] == ["CancelOrder"]
    [not_filled] = [e for e in ended.events if isinstance(e, EntryNotFilled)]
    assert not_filled.by == "twap"  # the alert and the card say a TWAP, not a limit order, filled nothing
    told = next(e for e in ended.events if isinstance(e, AlgoProgressed))
    assert (told.done, told.slices, told.status) == (0, 5, "stopped")


def test_iceberg_shows_one_part_and_refills_once_it_has_filled() -> None:
    tr = opening(ICEBERG)
    (first,) = tr.orders
    assert (first.type, first.price, first.qty) == (OrderType.LIMIT, Decimal(100), Decimal("0.25"))
    algo = tr.algos[0]
    half = replace(first, status=OrderStatus.OPEN, filled_qty=Decimal("0.1"), avg_price=Decimal(100))
    pos = replace(tr.position, state=PositionState.OPEN, remaining=Decimal("0.1"))
    assert algos.step(algo, pos, [half], Decimal(100), T0, CTX) is None  # still working: no refill
    done = replace(half, status=OrderStatus.FILLED, filled_qty=Decimal("0.25"))
    refill = algos.step(algo, pos, [done], Decimal(100), T0, CTX)
    assert refill is not None and [o.client_id for o in refill.orders] == ["sp-p1-ie-0-1"]
    assert progress(refill.algos[0], [done]).done == 1


def test_an_entry_slice_fill_opens_the_position_for_what_filled_then_re_sizes_its_protection() -> None:
    tr = opening(TWAP)
    order = replace(tr.orders[0], status=OrderStatus.OPEN)
    fill = _fill(order.client_id, "0.2", "100")
    opened = lc.on_fill(tr.position, [order], order, fill, CTX)
    assert opened.position.state is PositionState.OPEN and opened.position.qty == Decimal("0.2")
    stop = next(o for o in opened.orders if o.leg == Leg.STOP.value)
    assert stop.qty == Decimal("0.2")
    second = algos.slice_order(tr.algos[0], opened.position, 1, Decimal("0.2"), T0)
    again = lc.on_fill(opened.position, [*opened.orders, second], second, _fill(second.client_id, "0.2", "101"), CTX)
    assert again.position.remaining == Decimal("0.4")
    assert next(o for o in again.orders if o.leg == Leg.STOP.value).qty == Decimal("0.4")


def _fill(client_id: str, qty: str, price: str):  # type: ignore[no-untyped-def]
    from engine.domain.models import Fill
    from engine.domain.values import OrderAction

    return Fill(f"t-{client_id}", client_id, "ETH/USDT", OrderAction.BUY, Decimal(qty), Decimal(price), ZERO, T0)


# --- whole runs on the paper broker ----------------------------------------------------------------------
@pytest.fixture
async def rig(tmp_path: Path):  # type: ignore[no-untyped-def]
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    await db.migrate()
    clock = ManualClock(T0)
    bus = EventBus()
    events: list[Event] = []
    bus.subscribe(Event, events.append)
    broker = PaperBroker(BrokerSettings(paper_balance=Decimal("10000"), slippage_pct=Decimal(0)), clock, market)
    parts: dict[str, object] = {}

    def build() -> tuple[PositionManager, AlgoWatch]:
        mgr = PositionManager(Repository(db), broker, bus, clock, market, taker_fee=Decimal("0.0004"),
                              breakeven_buffer_pct=Decimal("0.05"), paper=True)
        parts.update(mgr=mgr, watch=AlgoWatch(mgr, clock))
        return mgr, parts["watch"]  # type: ignore[return-value]

    build()

    async def open_(plan: AlgoPlan, price: str = "100") -> object:
        await broker.on_price(PriceTick("ETH/USDT", Decimal(price), clock.now()))
        mgr = parts["mgr"]
        return await mgr.open(signal(), Decimal("1"), single_target=False, trailing_pct=ZERO,  # type: ignore[attr-defined]
                              time_stop=None, liquidation_price=None,
                              shape=lambda tr: algos.shape_entry(tr, plan, MKT, True))

    async def tick(price: str, seconds: int = 60) -> None:
        clock.set(clock.now() + timedelta(seconds=seconds))
        t = PriceTick("ETH/USDT", Decimal(price), clock.now())
        await parts["mgr"].on_tick(t)  # type: ignore[attr-defined]
        await parts["watch"].on_tick(t)  # type: ignore[attr-defined]

    yield parts, events, open_, tick, build, db
    await db.close()


async def test_paper_twap_entry_fills_in_slices_then_is_protected_for_the_whole(rig) -> None:  # type: ignore[no-untyped-def]
    parts, events, open_, tick, _build, _db = rig
    pos = await open_(TWAP)
    mgr = parts["mgr"]
    assert pos.state is PositionState.OPEN and pos.qty == Decimal("0.2")  # the first slice filled at once
    for _ in range(10):
        await tick("100.5")
    held = mgr.position(pos.id)
    assert held.remaining == Decimal("1") and held.qty == Decimal("1")
    slices = sorted(o.client_id for o in mgr.orders_of(pos.id) if o.leg == Leg.TWAP_ENTRY.value)
    assert slices == [f"sp-{pos.id}-te-0-{i}" for i in range(5)]
    stops = [o for o in mgr.orders_of(pos.id) if o.leg == Leg.STOP.value and not o.status.is_final]
    assert len(stops) == 1 and stops[0].qty == Decimal("1")
    told = [e for e in events if isinstance(e, AlgoProgressed)]
    assert [(e.done, e.status) for e in told][-1] == (5, "done")
    assert told[-1].avg_price is not None and Decimal("100") <= told[-1].avg_price <= Decimal("100.5")
    assert len([e for e in events if isinstance(e, PositionOpened)]) == 1


async def test_paper_twap_stops_at_the_stop_price_and_the_stop_closes_what_filled(rig) -> None:  # type: ignore[no-untyped-def]
    parts, events, open_, tick, _build, _db = rig
    pos = await open_(TWAP)
    await tick("100", 130)  # slice 1
    await tick("97")  # through the stop (98): the stop closes the 0.4 held, the run stops
    await tick("97")
    closed = next(e for e in events if isinstance(e, PositionClosed))
    assert closed.position.qty == Decimal("0.4") and sum(x.qty for x in closed.position.exits) == Decimal("0.4")
    orders = await parts["mgr"].repo.orders_for(pos.id)
    assert not [o for o in orders if not o.status.is_final]
    assert len([o for o in orders if o.leg == Leg.TWAP_ENTRY.value]) == 2  # none sent after the stop
    (run,) = (await parts["mgr"].repo.algos_for_positions([pos.id]))[pos.id]
    assert run.status is AlgoStatus.CANCELLED  # ended with its position


async def test_paper_iceberg_entry_refills_until_done(rig) -> None:  # type: ignore[no-untyped-def]
    parts, events, open_, tick, _build, _db = rig
    pos = await open_(ICEBERG, price="100.4")  # the limit at 100 rests
    assert pos.state is PositionState.PENDING
    for _ in range(4):
        await tick("99.9")
        await tick("100.4")
    held = parts["mgr"].position(pos.id)
    assert held.remaining == Decimal("1")
    assert [e.status for e in events if isinstance(e, AlgoProgressed)][-1] == "done"
    slices = [o for o in parts["mgr"].orders_of(pos.id) if o.leg == Leg.ICEBERG_ENTRY.value]
    assert len(slices) == 4 and all(o.qty == Decimal("0.25") for o in slices)


async def test_paper_twap_exit_closes_in_slices(rig) -> None:  # type: ignore[no-untyped-def]
    parts, events, open_, tick, _build, _db = rig
    pos = await open_(AlgoPlan(AlgoKind.TWAP, minutes=Decimal(1), slices=1))  # one slice: a plain entry
    mgr = parts["mgr"]
    await tick("101")
    runs = mgr.algos_of(pos.id)

    def start(p, o, c):  # type: ignore[no-untyped-def]
        return algos.start_exit(p, o, runs, TWAP, None, Decimal("101"), T0 + timedelta(minutes=1), c)

    await mgr.adjust(pos.id, start)
    for _ in range(10):
        await tick("101")
    closed = next(e for e in events if isinstance(e, PositionClosed))
    assert sum(x.qty for x in closed.position.exits) == Decimal("1")
    exits = [o for o in await mgr.repo.orders_for(pos.id) if o.leg == Leg.TWAP_EXIT.value]
    assert len(exits) == 5 and all(o.reduce_only for o in exits)
    runs = (await mgr.repo.algos_for_positions([pos.id]))[pos.id]
    assert [r.status for r in runs if not r.entry] == [AlgoStatus.DONE]  # its last slice closed the position


async def test_a_restart_resumes_the_twap_where_it_was_no_slice_twice(rig) -> None:  # type: ignore[no-untyped-def]
    parts, events, open_, tick, build, _db = rig
    pos = await open_(TWAP)
    await tick("100", 130)  # slice 1 sent
    mgr, _watch = build()  # a new process on the same database
    await mgr.load()
    (run,) = mgr.algos_of(pos.id)
    assert run.sent == 2 and run.status is AlgoStatus.RUNNING
    for _ in range(10):
        await tick("100")
    orders = await mgr.repo.orders_for(pos.id)
    ids = [o.client_id for o in orders if o.leg == Leg.TWAP_ENTRY.value]
    assert sorted(ids) == [f"sp-{pos.id}-te-0-{i}" for i in range(5)] and len(set(ids)) == 5
    assert mgr.position(pos.id).remaining == Decimal("1")
    (stored,) = (await mgr.repo.algos_for_positions([pos.id]))[pos.id]
    assert stored.status is AlgoStatus.DONE and stored.sent == 5


def test_settings_choose_by_notional_and_the_button_asks_for_twap() -> None:
    from config.settings import RiskSettings

    off = RiskSettings()
    assert algos.choose(off, Decimal(10**9), None) is None  # off by default
    assert algos.choose(off, Decimal(1), algos.TWAP) == AlgoPlan(AlgoKind.TWAP, Decimal(30), 10, ZERO)
    on = RiskSettings(algo_above_notional=Decimal(1000), algo_kind="iceberg")
    assert algos.choose(on, Decimal(999), None) is None
    plan = algos.choose(on, Decimal(1001), None)
    assert plan is not None and plan.kind is AlgoKind.ICEBERG
    assert algos.choose(on, Decimal(1001), algos.MARKET) is None


_ = Algo  # the state type these runs persist


def test_marketable_limit_slices_cancelled_when_the_next_is_due_their_rest_in_the_last() -> None:
    plan = replace(TWAP, limit_pct=Decimal("0.2"))
    tr = opening(plan)
    first = tr
    (slice0,) = first.orders
    assert (slice0.type, slice0.price) == (OrderType.LIMIT, Decimal("100.2"))  # a buy above the planned price
    resting = replace(slice0, status=OrderStatus.OPEN, filled_qty=Decimal("0.05"), avg_price=Decimal("100.1"))
    pos = replace(tr.position, state=PositionState.OPEN, remaining=Decimal("0.05"))
    run = replace(first.algos[0], reported=0)
    assert algos.step(run, pos, [resting], Decimal(100), T0 + timedelta(seconds=90), CTX) is None
    nxt = algos.step(run, pos, [resting], Decimal(101), T0 + timedelta(minutes=2), CTX)
    assert nxt is not None
    assert [(type(a).__name__, a.order.client_id) for a in nxt.actions] == [
        ("CancelOrder", "sp-p1-te-0-0"), ("PlaceOrder", "sp-p1-te-0-1")]
    assert nxt.orders[0].price == Decimal("101.21")
    late = replace(nxt.algos[0], sent=4)
    cancelled = replace(resting, status=OrderStatus.CANCELLED)
    others = [replace(algos.slice_order(late, pos, i, Decimal("0.2"), T0), status=OrderStatus.FILLED,
                      filled_qty=Decimal("0.2"), avg_price=Decimal(100)) for i in (1, 2, 3)]
    last = algos.step(late, pos, [cancelled, *others], Decimal(100), T0 + timedelta(minutes=8), CTX)
    assert last is not None and last.orders[0].qty == Decimal("0.35")  # 1 - 0.05 - 3 × 0.2


async def test_paper_twap_of_marketable_limits_fills_like_market_slices(rig) -> None:  # type: ignore[no-untyped-def]
    parts, events, open_, tick, _build, _db = rig
    pos = await open_(replace(TWAP, limit_pct=Decimal("0.3")))
    for _ in range(10):
        await tick("100.5")
    slices = [o for o in parts["mgr"].orders_of(pos.id) if o.leg == Leg.TWAP_ENTRY.value]
    assert len(slices) == 5 and all(o.type is OrderType.LIMIT and o.status is OrderStatus.FILLED for o in slices)
    assert parts["mgr"].position(pos.id).remaining == Decimal("1")
    assert all(o.avg_price <= o.price for o in slices)  # never worse than its limit


def test_iceberg_parts_respect_the_market_minimum_notional() -> None:
    from engine.execution import iceberg

    assert iceberg.visible_qty(Decimal(1), Decimal(2), MKT, Decimal(100)) == Decimal("0.05")  # 5 at 100, not 2 %
    assert iceberg.count(Decimal("1.03"), Decimal("0.25"), MKT, Decimal(100)) == 4  # a 0.03 rest goes with the 4th
    assert iceberg.count(Decimal("1.06"), Decimal("0.25"), MKT, Decimal(100)) == 5
