"""The alert outbox on SQLite and PostgreSQL: alerts are written in the same transaction as the
position change that caused them, read back equal (exact decimals, aware times), in order, with
per-chat delivered marks; settled ones leave the pending list and are pruned later."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError

from engine.domain.events import (
    EngineError,
    OrderFilled,
    PositionClosed,
    RiskRejected,
    StopMovedToBreakeven,
    TargetHit,
)
from engine.domain.models import CloseReason, PositionState
from engine.domain.reasons import ErrorCode, RejectReason
from engine.storage.db import Database
from engine.storage.repository import Repository
from tests.engine.storage.test_repository import T0, _position, _signal


def _tp1() -> tuple[TargetHit, StopMovedToBreakeven, OrderFilled]:
    pos = _position()
    hit = TargetHit(ts=T0, position=pos, target=1, qty=Decimal("0.75"), price=Decimal("0.102348"),
                    pnl=Decimal("0.00283320000001"), new_stop=Decimal("0.098491"))
    be = StopMovedToBreakeven(ts=T0, position=pos, old_stop=Decimal("0.096443"), new_stop=Decimal("0.098491"))
    filled = OrderFilled(ts=T0, position_id=pos.id, signal_id=pos.signal_id, client_id="sp-p1-tp1-0", leg="tp1",
                         symbol=pos.symbol, qty=Decimal("0.75"), price=Decimal("0.102348"), fee=Decimal("0.00003"))
    return hit, be, filled


async def test_alerts_are_saved_with_the_position_and_read_back_equal_in_order(database: Database) -> None:
    repo = Repository(database)
    hit, be, filled = _tp1()
    await repo.save(_position(), (), T0, (filled, hit, be))
    pending = await repo.pending_alerts()
    assert [p.event for p in pending] == [hit, be]  # the fill itself is not an alert
    assert pending[0].seq < pending[1].seq and pending[0].event.ts.tzinfo is not None
    assert all(p.delivered_to == frozenset() for p in pending)


async def test_the_alert_and_the_change_commit_together_or_not_at_all(database: Database) -> None:
    repo = Repository(database)
    hit, _, _ = _tp1()
    await repo.save(_position(), (), T0, (hit,))
    closed = replace(_position(), state=PositionState.CLOSED, remaining=Decimal(0), closed_at=T0)
    with pytest.raises(IntegrityError):  # the same alert again: the whole transaction fails
        await repo.save(closed, (), T0, (hit,))
    assert (await repo.get_position("p1")).state is PositionState.OPEN  # type: ignore[union-attr]
    assert len(await repo.pending_alerts()) == 1


async def test_marks_per_chat_settling_and_pruning(database: Database) -> None:
    repo = Repository(database)
    hit, be, _ = _tp1()
    error = EngineError(ts=T0, code=ErrorCode.STOP_NOT_PLACED, detail="-2021", position_id="p1")
    refused = RiskRejected(ts=T0, signal=_signal(), reason=RejectReason.PAUSED, detail={"a": "b"})
    await repo.save(_position(), (), T0, (hit, be))
    assert await repo.add_alerts([error, refused, hit]) == 2  # hit was there already
    assert await repo.add_alerts([error]) == 0
    await repo.mark_delivered([hit.id, be.id], 111, T0)
    await repo.mark_delivered([hit.id, be.id], 111, T0)  # idempotent
    pending = {p.event.id: p for p in await repo.pending_alerts()}
    assert pending[hit.id].delivered_to == {111} and pending[error.id].delivered_to == frozenset()
    assert pending[refused.id].event == refused
    await repo.settle_alerts([hit.id, be.id], T0 + timedelta(minutes=1))
    assert [p.event for p in await repo.pending_alerts()] == [error, refused]
    assert await repo.prune_alerts(T0) == 0  # settled after T0: kept
    assert await repo.prune_alerts(T0 + timedelta(days=8)) == 2
    assert [p.event.id for p in await repo.pending_alerts()] == [error.id, refused.id]


async def test_a_close_alert_round_trips(database: Database) -> None:
    repo = Repository(database)
    pos = replace(_position(), state=PositionState.CLOSED, close_reason=CloseReason.TARGET, closed_at=T0)
    closed = PositionClosed(ts=T0, position=pos, reason=CloseReason.TARGET, pnl=Decimal("-0.00000001"),
                            fees=Decimal("0.0000000000000001"), exit_price=None)
    await repo.save(pos, (), T0, (closed,))
    assert [p.event for p in await repo.pending_alerts()] == [closed]
