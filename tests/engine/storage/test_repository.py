"""Storage round-trips on SQLite and PostgreSQL: exact decimals, aware datetimes, idempotent fills."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from engine.domain.models import (
    Exit,
    FactorScore,
    Fill,
    Order,
    OrderStatus,
    OrderType,
    Position,
    PositionState,
    Signal,
    SignalStatus,
    Target,
)
from engine.domain.values import OrderAction, Side
from engine.storage.db import Database
from engine.storage.repository import Repository, Unit

T0 = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def _signal() -> Signal:
    return Signal(
        id="sig1", symbol="ETH/BTC", side=Side.LONG, score=81.5,
        factors=(FactorScore("trend", 0.8, 1.0, 0.3, 24.0), FactorScore("funding", None, 0, 0.1, 0, False, "no data")),
        entry=Decimal("0.098412"), stop=Decimal("0.096443"),
        targets=(Target(Decimal("0.102348"), Decimal("0.5")), Target(Decimal("0.106284"), Decimal("0.5"))),
        leverage=3, created_at=T0, expires_at=T0 + timedelta(minutes=15),
    )


def _position() -> Position:
    return Position(
        id="p1", signal_id="sig1", symbol="ETH/BTC", side=Side.LONG, state=PositionState.OPEN,
        qty=Decimal("1.500"), remaining=Decimal("0.750"), entry_price=Decimal("0.098412"),
        stop_price=Decimal("0.098491"), initial_stop=Decimal("0.096443"),
        targets=(Target(Decimal("0.102348"), Decimal("0.5")), Target(Decimal("0.106284"), Decimal("0.5"))),
        leverage=3, created_at=T0, opened_at=T0, realized_pnl=Decimal("0.00283320000001"),
        fees=Decimal("0.0000000000000001"), breakeven=True, targets_hit=1, stop_seq=1,
        exits=(Exit(T0, Decimal("0.102348"), Decimal("0.75"), "tp1", Decimal("0.0000307"), Decimal("0.0029")),),
    )


async def test_signal_round_trip_is_exact(database: Database) -> None:
    repo = Repository(database)
    sig = _signal()
    await repo.save_signal(sig)
    got = await repo.get_signal("sig1")
    assert got == sig
    assert got.created_at.tzinfo is not None
    await repo.save_signal(sig.with_status(SignalStatus.CONFIRMED, by="42"))
    assert (await repo.get_signal("sig1")).status is SignalStatus.CONFIRMED
    assert [s.id for s in await repo.signals_with_status(SignalStatus.CONFIRMED)] == ["sig1"]


async def test_position_and_orders_saved_together(database: Database) -> None:
    repo = Repository(database)
    pos = _position()
    order = Order(client_id="sp-p1-sl-1", position_id="p1", leg="sl", symbol="ETH/BTC", action=OrderAction.SELL,
                  type=OrderType.STOP_MARKET, qty=Decimal("0.750"), created_at=T0,
                  trigger_price=Decimal("0.098491"), reduce_only=True)
    await repo.save(pos, [order], now=T0)
    assert await repo.get_position("p1") == pos
    assert [p.id for p in await repo.open_positions()] == ["p1"]
    assert await repo.live_orders() == [order]
    from dataclasses import replace
    await repo.save(replace(pos, state=PositionState.CLOSED, closed_at=T0 + timedelta(hours=1)),
                    [replace(order, status=OrderStatus.CANCELLED)], now=T0)
    assert await repo.open_positions() == []
    assert await repo.live_orders() == []
    assert [p.id for p in await repo.closed_positions(limit=5)] == ["p1"]


async def test_a_step_is_one_commit_and_a_fill_is_recorded_once(database: Database) -> None:
    import pytest
    from sqlalchemy.exc import IntegrityError

    from engine.domain.events import EngineError
    from engine.domain.reasons import ErrorCode

    repo = Repository(database)
    pos = _position()
    fill = Fill("t1", "sp-p1-en-0", "ETH/BTC", OrderAction.BUY, Decimal("1.5"), Decimal("0.098412"),
                Decimal("0.000059047"), T0)
    alert = EngineError(ts=T0, code=ErrorCode.INTERNAL, detail="x")
    await repo.commit(Unit(pos, fills=(fill,), fill_position="p1", events=(alert,), kv={"risk_state": "{}"}))
    assert await repo.fills_for("p1") == [fill]
    assert await repo.get_position("p1") == pos and await repo.kv_get("risk_state") == "{}"
    assert [a.event.id for a in await repo.pending_alerts()] == [alert.id]
    from dataclasses import replace
    with pytest.raises(IntegrityError):  # the same fill again: the whole step is refused
        await repo.commit(Unit(replace(pos, remaining=Decimal(0)), fills=(fill,), fill_position="p1",
                               kv={"risk_state": "{changed}"}))
    assert await repo.fills_for("p1") == [fill]
    assert await repo.get_position("p1") == pos and await repo.kv_get("risk_state") == "{}"


async def test_kv_cards_prefs_equity(database: Database) -> None:
    repo = Repository(database)
    assert await repo.kv_get("paper") is None
    await repo.kv_put("paper", '{"a": 1}')
    await repo.kv_put("paper", '{"a": 2}')
    assert await repo.kv_get("paper") == '{"a": 2}'
    await repo.save_card("sig1", -100123, 7)
    await repo.save_card("sig1", 55, 9)
    assert sorted(await repo.cards("sig1")) == [(-100123, 7), (55, 9)]
    await repo.set_user_lang(5_000_000_000, "zh")
    assert await repo.user_lang(5_000_000_000) == "zh"
    await repo.add_equity(T0, Decimal("10000.123456789"))
    assert await repo.equity_since(None) == [(T0, Decimal("10000.123456789"))]


async def test_migrations_are_idempotent(database: Database) -> None:
    await database.migrate()
    await Repository(database).kv_put("x", "1")
    await database.migrate()
    assert await Repository(database).kv_get("x") == "1"
