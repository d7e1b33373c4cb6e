"""Limit entries (threshold, timeout, nothing filled) and scale-in on the paper broker through the
manager and the entry watch; the partial-fill cases also as pure transitions."""

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
from engine.domain.events import EntryNotFilled, Event, PositionClosed, PositionOpened, PositionResized
from engine.domain.models import (
    CloseReason,
    Leg,
    MarketSpec,
    OrderStatus,
    OrderType,
    PositionState,
    Signal,
    Target,
)
from engine.domain.values import ZERO, Side
from engine.execution.entry import EntryPlan, finish_entry, late_fill, parse_parts, shape_open
from engine.execution.watch import EntryWatch
from engine.market.base import PriceTick
from engine.positions import lifecycle as lc
from engine.positions.manager import PositionManager
from engine.storage.db import Database
from engine.storage.repository import Repository

MKT = MarketSpec("ETH/USDT", "ETH", "USDT", Decimal("0.01"), Decimal("0.001"), Decimal("0.001"), Decimal("5"))
T0 = datetime(2024, 3, 1, tzinfo=UTC)
CTX = lc.Context(market=MKT, taker_fee=Decimal("0.0004"))
LIMIT = EntryPlan(limit=True, timeout=timedelta(minutes=15), min_fill_pct=Decimal(90))
SCALE = EntryPlan(parts=parse_parts(["0:0.3", "1:0.35", "1.5:0.35"]))


async def market(symbol: str) -> MarketSpec:
    return MKT


def signal() -> Signal:
    return Signal(id="sig", symbol="ETH/USDT", side=Side.LONG, score=80, factors=(), entry=Decimal("100"),
                  stop=Decimal("98"), targets=(Target(Decimal("104"), Decimal("0.5")), Target(Decimal("108"), Decimal("0.5"))),
                  leverage=3, created_at=T0, expires_at=T0 + timedelta(minutes=15))


@pytest.fixture
async def rig(tmp_path: Path):  # type: ignore[no-untyped-def]
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'e.db'}")
    await db.migrate()
    clock = ManualClock(T0)
    bus = EventBus()
    events: list[Event] = []
    bus.subscribe(Event, events.append)
    broker = PaperBroker(BrokerSettings(paper_balance=Decimal("10000"), slippage_pct=Decimal(0)), clock, market)
    mgr = PositionManager(Repository(db), broker, bus, clock, market, taker_fee=Decimal("0.0004"),
                          breakeven_buffer_pct=Decimal("0.05"), paper=True)
    plans = {"plan": LIMIT}
    watch = EntryWatch(mgr, clock, lambda: plans["plan"])

    async def open_(plan: EntryPlan, price: str = "100.5"):  # type: ignore[no-untyped-def]
        plans["plan"] = plan
        await broker.on_price(PriceTick("ETH/USDT", Decimal(price), clock.now()))
        return await mgr.open(signal(), Decimal("1"), single_target=False, trailing_pct=ZERO, time_stop=None,
                              liquidation_price=None, shape=lambda tr: shape_open(tr, plan, MKT.qty_step))

    async def tick(price: str, minutes: int = 1) -> None:
        clock.set(clock.now() + timedelta(minutes=minutes))
        t = PriceTick("ETH/USDT", Decimal(price), clock.now())
        await mgr.on_tick(t)
        await watch.on_tick(t)

    yield mgr, events, open_, tick
    await db.close()


async def test_limit_entry_rests_then_fills_and_is_protected(rig) -> None:  # type: ignore[no-untyped-def]
    mgr, events, open_, tick = rig
    pos = await open_(LIMIT)
    assert pos.state is PositionState.PENDING
    [entry] = await mgr.broker.open_orders("ETH/USDT")
    assert entry.type is OrderType.LIMIT and entry.price == Decimal("100")
    await tick("100.2")
    assert (await mgr.repo.get_position(pos.id)).state is PositionState.PENDING
    await tick("99.9")
    opened = await mgr.repo.get_position(pos.id)
    assert opened.state is PositionState.OPEN and opened.entry_price == Decimal("100") and opened.qty == Decimal("1")
    kinds = sorted(o.type.value for o in await mgr.broker.open_orders("ETH/USDT"))
    assert kinds == ["stop_market", "take_profit", "take_profit"]


async def test_limit_entry_not_filled_at_the_timeout(rig) -> None:  # type: ignore[no-untyped-def]
    mgr, events, open_, tick = rig
    pos = await open_(LIMIT)
    await tick("100.4", minutes=14)
    assert (await mgr.repo.get_position(pos.id)).state is PositionState.PENDING
    await tick("100.4", minutes=2)
    final = await mgr.repo.get_position(pos.id)
    assert final.state is PositionState.FAILED and final.close_reason is CloseReason.NOT_FILLED
    assert [type(e) for e in events if isinstance(e, EntryNotFilled)] == [EntryNotFilled]
    assert await mgr.broker.open_orders() == [] and mgr.open_positions() == []


def _pending_with_fill(filled: str):  # type: ignore[no-untyped-def]
    tr = shape_open(lc.open_position(signal(), "p1", Decimal("1"), T0, single_target=False), LIMIT, MKT.qty_step)
    entry = replace(tr.orders[0], status=OrderStatus.OPEN, filled_qty=Decimal(filled), avg_price=Decimal("100"))
    return replace(tr.position, remaining=Decimal(filled)), [entry]


def _step(pos, orders, tr):  # type: ignore[no-untyped-def]
    """The position and its orders after ``tr`` (what the manager would hold), cancels applied."""
    held = {o.client_id: o for o in orders}
    held.update({o.client_id: o for o in tr.orders})
    for a in tr.actions:
        if isinstance(a, lc.CancelOrder):
            held[a.order.client_id] = replace(held[a.order.client_id], status=OrderStatus.CANCELLED)
    return tr.position, list(held.values())


def _entry_fill(pos, orders, qty: str, price: str = "100", n: int = 1):  # type: ignore[no-untyped-def]
    entry = next(o for o in orders if o.leg == Leg.ENTRY.value)
    fill = replace(_fill(entry.client_id, qty, price), trade_id=f"t{n}")
    return lc.on_fill(pos, orders, entry, fill, CTX)


def _stops(orders):  # type: ignore[no-untyped-def]
    return [o for o in lc.live(orders) if o.leg == Leg.STOP.value]


def test_the_first_fill_of_a_limit_entry_opens_the_position_protected_for_what_filled() -> None:
    pos, orders = _pending_with_fill("0")
    tr = _entry_fill(pos, orders, "0.4")
    assert tr.position.state is PositionState.OPEN and tr.position.qty == tr.position.remaining == Decimal("0.4")
    assert isinstance(tr.actions[0], lc.PlaceOrder) and tr.actions[0].protective
    stop = tr.actions[0].order
    assert stop.leg == Leg.STOP.value and stop.reduce_only and stop.qty == Decimal("0.4")
    assert sum(o.qty for o in tr.orders if o.leg.startswith("tp")) == Decimal("0.4")
    opened = [e for e in tr.events if isinstance(e, PositionOpened)]
    assert len(opened) == 1 and opened[0].partial  # the card says the rest keeps working
    entry = next(o for o in tr.orders if o.leg == Leg.ENTRY.value)
    assert not entry.status.is_final and entry.filled_qty == Decimal("0.4")  # the rest still works


def test_further_fills_of_the_limit_entry_re_size_the_stop_and_targets() -> None:
    pos, orders = _step(*_pending_with_fill("0"), _entry_fill(*_pending_with_fill("0"), "0.4"))
    tr = _entry_fill(pos, orders, "0.3", "99.9", n=2)
    assert tr.position.state is PositionState.OPEN and tr.position.qty == tr.position.remaining == Decimal("0.7")
    assert not any(isinstance(e, PositionOpened) for e in tr.events)  # one "opened" alert: the first fill's
    assert any(isinstance(e, PositionResized) for e in tr.events)
    assert isinstance(tr.actions[0], lc.PlaceOrder) and tr.actions[0].protective  # the new stop first
    pos, orders = _step(pos, orders, tr)
    [stop] = _stops(orders)
    assert stop.qty == Decimal("0.7") and stop.client_id.endswith("-sl-1")
    assert sum(o.qty for o in lc.live(orders) if o.leg.startswith("tp")) == Decimal("0.7")


def test_at_the_timeout_only_the_rest_of_a_partly_filled_entry_is_cancelled() -> None:
    pos, orders = _step(*_pending_with_fill("0"), _entry_fill(*_pending_with_fill("0"), "0.4"))
    assert finish_entry(pos, orders, T0 + timedelta(minutes=10), CTX, LIMIT) is None  # below the threshold
    tr = finish_entry(pos, orders, T0 + timedelta(minutes=15), CTX, LIMIT)
    assert tr is not None and tr.position == pos and tr.events == () and tr.orders == ()
    assert [(type(a), a.order.leg) for a in tr.actions] == [(lc.CancelOrder, Leg.ENTRY.value)]  # no second stop
    pos, orders = _step(pos, orders, tr)
    assert finish_entry(pos, orders, T0 + timedelta(minutes=16), CTX, LIMIT) is None  # done once
    [stop] = _stops(orders)
    assert stop.qty == pos.remaining == Decimal("0.4")


def test_at_the_threshold_the_rest_is_cancelled_at_once() -> None:
    pos, orders = _step(*_pending_with_fill("0"), _entry_fill(*_pending_with_fill("0"), "0.5"))
    pos, orders = _step(pos, orders, _entry_fill(pos, orders, "0.399", n=2))
    assert finish_entry(pos, orders, T0 + timedelta(minutes=1), CTX, LIMIT) is None  # 89.9 %
    pos, orders = _step(pos, orders, _entry_fill(pos, orders, "0.001", n=3))
    tr = finish_entry(pos, orders, T0 + timedelta(minutes=1), CTX, LIMIT)
    assert tr is not None and [type(a) for a in tr.actions] == [lc.CancelOrder]
    assert [s.qty for s in _stops(orders)] == [Decimal("0.9")]


def test_closing_a_partly_filled_entry_cancels_its_rest_and_a_racing_fill_is_closed_too() -> None:
    pos, orders = _step(*_pending_with_fill("0"), _entry_fill(*_pending_with_fill("0"), "0.4"))
    tr = lc.close(pos, orders, CloseReason.MANUAL, T0 + timedelta(minutes=5), CTX)
    assert tr is not None
    assert [(type(a), a.order.leg) for a in tr.actions] == [(lc.CancelOrder, Leg.ENTRY.value),
                                                           (lc.PlaceOrder, Leg.CLOSE.value)]
    closing, _ = _step(pos, orders, tr)
    racing = _entry_fill(closing, orders, "0.2", n=2)  # the venue filled more as the cancel arrived
    placed = [a.order for a in racing.actions if isinstance(a, lc.PlaceOrder)]
    assert [(o.leg, o.qty, o.reduce_only) for o in placed] == [(Leg.CLOSE.value, Decimal("0.2"), True)]


def test_a_position_left_pending_with_a_partial_fill_is_managed_for_what_filled() -> None:
    """A position recorded pending with something filled (by a version that opened it only at the
    threshold or the timeout) is still opened for what filled then."""
    pos, orders = _pending_with_fill("0.4")
    assert finish_entry(pos, orders, T0 + timedelta(minutes=10), CTX, LIMIT) is None
    tr = finish_entry(pos, orders, T0 + timedelta(minutes=15), CTX, LIMIT)
    assert tr is not None and tr.position.state is PositionState.OPEN and tr.position.qty == Decimal("0.4")
    assert isinstance(tr.actions[0], lc.CancelOrder) and tr.actions[0].order.leg == Leg.ENTRY.value
    stop = next(o for o in tr.orders if o.leg == Leg.STOP.value)
    assert stop.qty == Decimal("0.4")
    assert sum(o.qty for o in tr.orders if o.leg.startswith("tp")) == Decimal("0.4")
    assert any(isinstance(e, PositionOpened) for e in tr.events)


async def test_a_fill_after_the_rest_was_cancelled_is_protected_too(rig) -> None:  # type: ignore[no-untyped-def]
    mgr, events, open_, tick = rig
    pos = await open_(LIMIT)
    await tick("99.9")
    opened = await mgr.repo.get_position(pos.id)
    entry = next(o for o in mgr.orders_of(pos.id) if o.leg == Leg.ENTRY.value)
    late = lc.on_fill(opened, mgr.orders_of(pos.id), replace(entry, qty=Decimal("1.5"), status=OrderStatus.OPEN,
                                                             filled_qty=Decimal("1")),
                      _fill(entry.client_id, "0.5", "99.8"), CTX)
    assert late.position.remaining == Decimal("1.5") and late.position.qty == Decimal("1.5")
    assert next(o for o in late.orders if o.leg == Leg.STOP.value).qty == Decimal("1.5")


def test_a_fill_that_raced_the_cancel_leaves_the_cancelled_entry_done() -> None:
    pos, orders = _pending_with_fill("0.4")
    cancelled = replace(orders[0], status=OrderStatus.CANCELLED)
    after = lc.apply_fill_to_order(cancelled, _fill(cancelled.client_id, "0.2", "100"))
    assert after.status is OrderStatus.CANCELLED and after.filled_qty == Decimal("0.6")  # not live again


def test_a_late_fill_after_not_filled_opens_the_position_protected_for_it() -> None:
    pos, orders = _pending_with_fill("0")
    ended = finish_entry(replace(pos, remaining=ZERO), orders, T0 + timedelta(minutes=15), CTX, LIMIT)
    assert ended is not None and ended.position.close_reason is CloseReason.NOT_FILLED
    failed = lc.entry_failed(ended.position, T0 + timedelta(minutes=15))
    entry = replace(orders[0], status=OrderStatus.CANCELLED)
    tr = late_fill(failed, [entry], entry, _fill(entry.client_id, "0.3", "99.9"), CTX)
    assert tr.position.state is PositionState.OPEN and tr.position.close_reason is None
    assert tr.position.closed_at is None and tr.position.qty == tr.position.remaining == Decimal("0.3")
    assert tr.position.entry_price == Decimal("99.9")
    stop = next(o for o in tr.orders if o.leg == Leg.STOP.value)
    assert stop.qty == Decimal("0.3") and isinstance(tr.actions[0], lc.PlaceOrder) and tr.actions[0].protective
    assert sum(o.qty for o in tr.orders if o.leg.startswith("tp")) == Decimal("0.3")
    assert [type(e) for e in tr.events][-1] is PositionOpened


def _fill(client_id: str, qty: str, price: str):  # type: ignore[no-untyped-def]
    from engine.domain.models import Fill
    from engine.domain.values import OrderAction

    return Fill(trade_id="t9", client_id=client_id, symbol="ETH/USDT", action=OrderAction.BUY, qty=Decimal(qty),
                price=Decimal(price), fee=ZERO, ts=T0 + timedelta(minutes=3))


async def test_scale_in_parts_are_protected_from_their_fill_on(rig) -> None:  # type: ignore[no-untyped-def]
    mgr, events, open_, tick = rig
    pos = await open_(SCALE, price="100")
    assert pos.state is PositionState.OPEN and pos.qty == Decimal("0.3")
    await tick("100")  # the resting parts go out once the position is open
    levels = sorted((o.price, o.qty) for o in await mgr.broker.open_orders("ETH/USDT") if o.type is OrderType.LIMIT)
    assert levels == [(Decimal("98.5"), Decimal("0.35")), (Decimal("99"), Decimal("0.35"))]
    await tick("99")
    after = await mgr.repo.get_position(pos.id)
    assert after.remaining == after.qty == Decimal("0.65")
    assert after.entry_price == (Decimal("100") * Decimal("0.3") + Decimal("99") * Decimal("0.35")) / Decimal("0.65")
    stops = [o for o in await mgr.broker.open_orders("ETH/USDT") if o.type is OrderType.STOP_MARKET]
    assert [(s.qty, s.trigger_price) for s in stops] == [(Decimal("0.65"), Decimal("98"))]
    tps = sum(o.qty for o in await mgr.broker.open_orders("ETH/USDT") if o.type is OrderType.TAKE_PROFIT)
    assert tps == Decimal("0.65")
    await tick("98.5")
    assert (await mgr.repo.get_position(pos.id)).remaining == Decimal("1")
    assert [e.leg for e in events if isinstance(e, PositionResized)] == ["sc", "sc"]
    await tick("97.9")
    final = await mgr.repo.get_position(pos.id)
    assert final.state is PositionState.CLOSED and final.close_reason is CloseReason.STOP
    assert sum(e.qty for e in final.exits) == final.qty == Decimal("1")
    assert await mgr.broker.open_orders() == []
    assert len([e for e in events if isinstance(e, PositionClosed)]) == 1


async def test_scale_in_parts_still_resting_are_cancelled_when_the_position_closes(rig) -> None:  # type: ignore[no-untyped-def]
    mgr, events, open_, tick = rig
    pos = await open_(SCALE, price="100")
    await tick("100")
    await tick("104")  # TP1 before any part filled
    await tick("108")
    final = await mgr.repo.get_position(pos.id)
    assert final.state is PositionState.CLOSED and sum(e.qty for e in final.exits) == Decimal("0.3")
    assert await mgr.broker.open_orders() == []


async def test_a_gap_through_the_parts_and_the_stop_leaves_nothing_open(rig) -> None:  # type: ignore[no-untyped-def]
    mgr, events, open_, tick = rig
    pos = await open_(SCALE, price="100")
    await tick("100")
    await tick("97")  # one move through both resting parts and the stop: the venue fills all three
    final = await mgr.repo.get_position(pos.id)
    assert final.state is PositionState.CLOSED and final.remaining == 0
    assert sum(e.qty for e in final.exits) == final.qty == Decimal("1")
    assert await mgr.broker.positions() == [] and await mgr.broker.open_orders() == []
