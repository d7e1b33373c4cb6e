"""Targets already crossed when they are placed, and fills racing each other, on the paper venue.

The paper venue refuses a take-profit whose price is already crossed (-2021), as Binance does, so
the engine takes it at market and the lifecycle goes on as if the target had filled. When the
rest of the position is gone by the time a stop would move (TP1 and TP2 in one tick), no stop is
placed and no alarm goes out. The live twins of these tests: tests/engine/live/test_crossed_targets.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from config.settings import BrokerSettings
from engine.brokers.paper import PaperBroker
from engine.bus import EventBus
from engine.clock import ManualClock
from engine.domain.events import EngineError, Event, PositionClosed, StopMovedToBreakeven, TargetHit
from engine.domain.models import CloseReason, OrderRequest, OrderStatus, OrderType, PositionState, VenueOrder
from engine.domain.values import ZERO
from engine.market.base import PriceTick
from engine.positions.manager import PositionManager
from engine.positions.recovery import recover
from engine.storage.db import Database
from engine.storage.repository import Repository
from tests.engine.positions.test_manager import market, signal

T0 = datetime(2024, 3, 1, tzinfo=UTC)
SYMBOL = "ETH/USDT"

# what a user hears when the price is past TP1 as the targets are placed (the same list live)
TP1_TAKEN = ["OrderFilled", "PositionOpened", "OrderFilled", "TargetHit", "StopMovedToBreakeven"]


class MovingPaper(PaperBroker):
    """The paper venue, with the market moving to ``after_entry`` right after an entry fills
    (between the entry fill and the placement of the stop and targets)."""

    after_entry: Decimal | None = None

    async def place_order(self, request: OrderRequest) -> VenueOrder:
        ack = await super().place_order(request)
        if request.client_id.endswith("-en-0") and self.after_entry is not None:
            await self.on_price(PriceTick(SYMBOL, self.after_entry, self._clock.now()))
        return ack


@pytest.fixture
async def paper(tmp_path: Path):  # type: ignore[no-untyped-def]
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    await db.migrate()
    clock = ManualClock(T0)
    bus = EventBus()
    events: list[Event] = []
    bus.subscribe(Event, events.append)
    broker = MovingPaper(BrokerSettings(paper_balance=Decimal("10000")), clock, market)
    mgr = PositionManager(Repository(db), broker, bus, clock, market, taker_fee=Decimal("0.0004"),
                          breakeven_buffer_pct=Decimal("0.05"), paper=True)
    await broker.on_price(PriceTick(SYMBOL, Decimal("100"), T0))
    yield mgr, broker, events
    await db.close()


def kinds(events: list[Event]) -> list[str]:
    return [type(e).__name__ for e in events]


async def open_long(mgr: PositionManager):  # type: ignore[no-untyped-def]
    return await mgr.open(signal(stop="98", targets=("104", "108")), Decimal("1"), single_target=False,
                          trailing_pct=ZERO, time_stop=None, liquidation_price=None)


async def test_a_target_crossed_before_it_rests_is_taken_at_market_and_the_stop_goes_to_breakeven(paper) -> None:  # type: ignore[no-untyped-def]
    mgr, broker, events = paper
    broker.after_entry = Decimal("105")  # past TP1 (104) before the targets are placed
    pos = await open_long(mgr)

    assert kinds(events) == TP1_TAKEN
    hit = next(e for e in events if isinstance(e, TargetHit))
    assert hit.target == 1 and hit.qty == Decimal("0.5") and hit.pnl > 0
    orders = {o.client_id: o for o in await mgr.repo.orders_for(pos.id)}
    refused, taken = orders[f"sp-{pos.id}-tp1-0"], orders[f"sp-{pos.id}-tp1-1"]
    assert refused.status is OrderStatus.REJECTED and refused.error.startswith("would_trigger")
    assert (taken.type, taken.reduce_only, taken.status, taken.qty) == (
        OrderType.MARKET, True, OrderStatus.FILLED, Decimal("0.5"))
    after = await mgr.repo.get_position(pos.id)
    assert after.state is PositionState.OPEN and after.remaining == Decimal("0.5") and after.breakeven
    assert after.targets_hit == 1 and [e.reason for e in after.exits] == ["tp1"]
    resting = {o.client_id: o for o in await broker.open_orders()}
    assert sorted(resting) == [f"sp-{pos.id}-sl-1", f"sp-{pos.id}-tp2-0"]
    assert resting[f"sp-{pos.id}-sl-1"].trigger_price == after.stop_price > after.entry_price

    await mgr.on_tick(PriceTick(SYMBOL, Decimal("108"), T0))  # TP2 as usual
    closed = [e for e in events if isinstance(e, PositionClosed)]
    assert [(c.reason, c.pnl > 0) for c in closed] == [(CloseReason.TARGET, True)]
    assert not [e for e in events if isinstance(e, EngineError)]


async def test_past_both_targets_before_they_rest_closes_the_position_as_target_without_alarm(paper) -> None:  # type: ignore[no-untyped-def]
    mgr, broker, events = paper
    broker.after_entry = Decimal("109")  # past TP1 and TP2
    pos = await open_long(mgr)

    assert kinds(events) == ["OrderFilled", "PositionOpened", "OrderFilled", "TargetHit", "OrderFilled",
                             "TargetHit", "PositionClosed"]
    assert [e.target for e in events if isinstance(e, TargetHit)] == [1, 2]
    assert next(e for e in events if isinstance(e, TargetHit)).new_stop is None  # no stop for nothing
    final = await mgr.repo.get_position(pos.id)
    assert final.state is PositionState.CLOSED and final.close_reason is CloseReason.TARGET
    assert [e.reason for e in final.exits] == ["tp1", "tp2"] and final.realized_pnl > 0
    fills = sorted(f.client_id for f in await mgr.repo.fills_for(pos.id))
    assert fills == [f"sp-{pos.id}-en-0", f"sp-{pos.id}-tp1-1", f"sp-{pos.id}-tp2-1"]
    assert await broker.open_orders() == [] and await broker.positions() == []
    assert not [o for o in await mgr.repo.orders_for(pos.id) if not o.status.is_final]


async def test_tp1_and_tp2_in_one_tick_move_no_stop_and_raise_no_alarm(paper) -> None:  # type: ignore[no-untyped-def]
    mgr, broker, events = paper
    pos = await open_long(mgr)
    await mgr.on_tick(PriceTick(SYMBOL, Decimal("108.5"), T0))  # both targets fill on the venue at once

    assert kinds(events)[2:] == ["OrderFilled", "TargetHit", "OrderFilled", "TargetHit", "PositionClosed"]
    assert not [e for e in events if isinstance(e, EngineError | StopMovedToBreakeven)]
    final = await mgr.repo.get_position(pos.id)
    assert final.close_reason is CloseReason.TARGET and not final.breakeven
    assert not [o for o in await mgr.repo.orders_for(pos.id) if o.client_id.endswith("sl-1")]
    assert await broker.open_orders() == [] and await broker.positions() == []


async def test_restart_takes_a_target_whose_order_was_refused_and_never_taken(paper) -> None:  # type: ignore[no-untyped-def]
    mgr, broker, events = paper
    pos = await open_long(mgr)
    tp1 = next(o for o in mgr.orders_of(pos.id) if o.leg == "tp1")
    # an earlier version dropped a target refused as crossed: the order is rejected, nothing else
    await broker.cancel_order(tp1.client_id, SYMBOL)
    await mgr.repo.save(None, [replace(tp1, status=OrderStatus.REJECTED, error="would_trigger: -2021")], T0)
    await mgr.load()
    await broker.on_price(PriceTick(SYMBOL, Decimal("105"), T0))  # the price is past TP1 now
    events.clear()

    report = await recover(mgr)

    assert report.targets_placed == [f"sp-{pos.id}-tp1-1"] and not report.anomalies
    assert kinds(events) == ["OrderFilled", "TargetHit", "StopMovedToBreakeven"]
    after = await mgr.repo.get_position(pos.id)
    assert after.targets_hit == 1 and after.breakeven and after.remaining == Decimal("0.5")
    taken = next(o for o in await mgr.repo.orders_for(pos.id) if o.client_id == f"sp-{pos.id}-tp1-2")
    assert taken.type is OrderType.MARKET and taken.status is OrderStatus.FILLED


async def test_a_single_target_crossed_before_it_rests_closes_the_position_as_target(paper) -> None:  # type: ignore[no-untyped-def]
    mgr, broker, events = paper
    broker.after_entry = Decimal("105")
    pos = await mgr.open(signal(stop="98", targets=("104",)), Decimal("1"), single_target=True, trailing_pct=ZERO,
                         time_stop=None, liquidation_price=None)

    assert kinds(events) == ["OrderFilled", "PositionOpened", "OrderFilled", "TargetHit", "PositionClosed"]
    closed = next(e for e in events if isinstance(e, PositionClosed))
    assert closed.reason is CloseReason.TARGET and closed.pnl > 0
    final = await mgr.repo.get_position(pos.id)
    assert final.state is PositionState.CLOSED and [e.reason for e in final.exits] == ["tp1"]
    assert await broker.open_orders() == [] and await broker.positions() == []  # the stop went with it
