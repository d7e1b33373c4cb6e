"""Domain objects ⇄ table rows (JSON for small nested values; Decimals as strings)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from engine.domain.algos import Algo, AlgoKind, AlgoStatus
from engine.domain.models import (
    CloseReason,
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
from engine.storage.tables import AlgoRow, FillRow, OrderRow, PositionRow, SignalRow


def _targets_json(targets: tuple[Target, ...]) -> str:
    return json.dumps([{"price": str(t.price), "share": str(t.share)} for t in targets])


def _targets(text: str) -> tuple[Target, ...]:
    return tuple(Target(Decimal(t["price"]), Decimal(t["share"])) for t in json.loads(text))


def signal_to_row(s: Signal) -> SignalRow:
    factors = [
        {"name": f.name, "value": f.value, "direction": f.direction, "weight": f.weight,
         "contribution": f.contribution, "available": f.available, "note": f.note}
        for f in s.factors
    ]
    return SignalRow(
        id=s.id, symbol=s.symbol, side=s.side.value, score=s.score, factors_json=json.dumps(factors),
        entry=s.entry, stop=s.stop, targets_json=_targets_json(s.targets), leverage=s.leverage,
        timeframe=s.timeframe, created_at=s.created_at, expires_at=s.expires_at, status=s.status.value,
        status_by=s.status_by, reason=s.reason, atr_pct=s.atr_pct, source=s.source,
    )


def row_to_signal(r: SignalRow) -> Signal:
    factors = tuple(FactorScore(**f) for f in json.loads(r.factors_json))
    return Signal(
        id=r.id, symbol=r.symbol, side=Side(r.side), score=r.score, factors=factors, entry=r.entry,
        stop=r.stop, targets=_targets(r.targets_json), leverage=r.leverage, created_at=r.created_at,
        expires_at=r.expires_at, timeframe=r.timeframe, status=SignalStatus(r.status),
        status_by=r.status_by, reason=r.reason, atr_pct=r.atr_pct, source=r.source or "scanner",
    )


def _exits_json(exits: tuple[Exit, ...]) -> str:
    return json.dumps([
        {"ts": e.ts.isoformat(), "price": str(e.price), "qty": str(e.qty), "reason": e.reason,
         "fee": str(e.fee), "pnl": str(e.pnl)}
        for e in exits
    ])


def _exits(text: str) -> tuple[Exit, ...]:
    return tuple(
        Exit(ts=datetime.fromisoformat(e["ts"]), price=Decimal(e["price"]), qty=Decimal(e["qty"]),
             reason=e["reason"], fee=Decimal(e["fee"]), pnl=Decimal(e["pnl"]))
        for e in json.loads(text)
    )


def position_values(p: Position) -> dict[str, Any]:
    """Every column of ``p``'s row (a step's statements take plain values: no ORM object)."""
    return dict(
        id=p.id, signal_id=p.signal_id, symbol=p.symbol, side=p.side.value, state=p.state.value, qty=p.qty,
        remaining=p.remaining, entry_price=p.entry_price, stop_price=p.stop_price,
        initial_stop=p.initial_stop, targets_json=_targets_json(p.targets), leverage=p.leverage,
        created_at=p.created_at, targets_hit=p.targets_hit, realized_pnl=p.realized_pnl, fees=p.fees,
        opened_at=p.opened_at, closed_at=p.closed_at,
        close_reason=p.close_reason.value if p.close_reason else None, breakeven=p.breakeven,
        stop_seq=p.stop_seq, stop_kind=p.stop_kind, close_seq=p.close_seq, trailing_pct=p.trailing_pct, time_stop_at=p.time_stop_at,
        best_price=p.best_price, liquidation_price=p.liquidation_price, exits_json=_exits_json(p.exits),
        venue=p.venue,
    )


def position_to_row(p: Position) -> PositionRow:
    return PositionRow(**position_values(p))


def row_to_position(r: PositionRow) -> Position:
    return Position(
        id=r.id, signal_id=r.signal_id, symbol=r.symbol, side=Side(r.side), state=PositionState(r.state),
        qty=r.qty, remaining=r.remaining, entry_price=r.entry_price, stop_price=r.stop_price,
        initial_stop=r.initial_stop, targets=_targets(r.targets_json), leverage=r.leverage,
        created_at=r.created_at, targets_hit=r.targets_hit, realized_pnl=r.realized_pnl, fees=r.fees,
        opened_at=r.opened_at, closed_at=r.closed_at,
        close_reason=CloseReason(r.close_reason) if r.close_reason else None, breakeven=r.breakeven,
        stop_seq=r.stop_seq, stop_kind=r.stop_kind, close_seq=r.close_seq, trailing_pct=r.trailing_pct, time_stop_at=r.time_stop_at,
        best_price=r.best_price, liquidation_price=r.liquidation_price, exits=_exits(r.exits_json),
        venue=r.venue or "default",
    )


def order_values(o: Order, now: datetime) -> dict[str, Any]:
    """Every column of ``o``'s row, updated at ``now``."""
    return dict(
        client_id=o.client_id, position_id=o.position_id, leg=o.leg, symbol=o.symbol, action=o.action.value,
        type=o.type.value, qty=o.qty, price=o.price, trigger_price=o.trigger_price,
        reduce_only=o.reduce_only, status=o.status.value, exchange_id=o.exchange_id,
        filled_qty=o.filled_qty, avg_price=o.avg_price, fee=o.fee, error=o.error,
        created_at=o.created_at, updated_at=now, venue=o.venue,
    )


def order_to_row(o: Order, now: datetime) -> OrderRow:
    return OrderRow(**order_values(o, now))


def row_to_order(r: OrderRow) -> Order:
    return Order(
        client_id=r.client_id, position_id=r.position_id, leg=r.leg, symbol=r.symbol,
        action=OrderAction(r.action), type=OrderType(r.type), qty=r.qty, created_at=r.created_at,
        price=r.price, trigger_price=r.trigger_price, reduce_only=r.reduce_only,
        status=OrderStatus(r.status), exchange_id=r.exchange_id, filled_qty=r.filled_qty,
        avg_price=r.avg_price, fee=r.fee, error=r.error, venue=r.venue or "default",
    )


def fill_values(f: Fill, position_id: str | None) -> dict[str, Any]:
    """Every column of ``f``'s row but its generated ``id``."""
    return dict(trade_id=f.trade_id, client_id=f.client_id, position_id=position_id, symbol=f.symbol,
                action=f.action.value, qty=f.qty, price=f.price, fee=f.fee, is_maker=f.is_maker, ts=f.ts,
                venue=f.venue)


def fill_to_row(f: Fill, position_id: str | None) -> FillRow:
    return FillRow(**fill_values(f, position_id))


def row_to_fill(r: FillRow) -> Fill:
    return Fill(trade_id=r.trade_id, client_id=r.client_id, symbol=r.symbol, action=OrderAction(r.action),
                qty=r.qty, price=r.price, fee=r.fee, ts=r.ts, is_maker=r.is_maker,
                venue=r.venue or "default")


def algo_to_row(a: Algo, now: datetime) -> AlgoRow:
    return AlgoRow(id=a.id, position_id=a.position_id, leg=a.leg, attempt=a.attempt, kind=a.kind.value,
                   status=a.status.value, total=a.total, start=a.start, duration_s=a.duration_s, slices=a.slices,
                   visible=a.visible, price=a.price, jitter_pct=a.jitter_pct, limit_pct=a.limit_pct,
                   seed=str(a.seed), sent=a.sent,
                   reported=a.reported, updated_at=now)


def row_to_algo(r: AlgoRow) -> Algo:
    return Algo(position_id=r.position_id, leg=r.leg, attempt=r.attempt, kind=AlgoKind(r.kind), total=r.total,
                start=r.start, duration_s=r.duration_s, slices=r.slices, visible=r.visible, price=r.price,
                jitter_pct=r.jitter_pct, limit_pct=r.limit_pct, seed=int(r.seed), sent=r.sent, reported=r.reported,
                status=AlgoStatus(r.status))
