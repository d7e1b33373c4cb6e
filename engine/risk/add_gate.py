"""The risk gate for an addition to an open position (``/add``): the trading state, the day's and the
drawdown limits, the order rate, the notional cap, the exposure caps and the free margin — the same
rules an entry passes, for the quantity added. A refusal is a RejectReason with its numbers."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from config.settings import RiskSettings
from engine.domain.models import MarketSpec, Position
from engine.domain.reasons import RejectReason, TradingState
from engine.domain.values import HUNDRED
from engine.risk.exposure import exposure_room
from engine.risk.state import RiskState


@dataclass(frozen=True)
class AddInput:
    position: Position
    qty: Decimal
    price: Decimal
    market: MarketSpec
    equity: Decimal
    free: Decimal
    open_positions: list[Position]
    state: RiskState
    orders_last_minute: int
    taker_fee: Decimal


def check_add(s: RiskSettings, data: AddInput) -> tuple[RejectReason, dict[str, str]] | None:
    st, pos = data.state, data.position
    if st.state is TradingState.HALTED:
        return RejectReason.HALTED, {}
    if st.state is TradingState.PAUSED:
        return RejectReason.PAUSED, {"pause_reason": st.reason or ""}
    if s.daily_loss_limit_pct > 0 and st.day_start_equity > 0 \
            and -st.day_pnl >= st.day_start_equity * s.daily_loss_limit_pct / HUNDRED:
        return RejectReason.DAILY_LOSS, {"limit_pct": str(s.daily_loss_limit_pct)}
    if s.max_drawdown_pct > 0 and st.equity_peak > 0:
        drawdown = (st.equity_peak - data.equity) / st.equity_peak * HUNDRED
        if drawdown >= s.max_drawdown_pct:
            return RejectReason.MAX_DRAWDOWN, {"drawdown_pct": str(round(drawdown, 2)),
                                               "limit_pct": str(s.max_drawdown_pct)}
    if data.orders_last_minute >= s.max_orders_per_min:
        return RejectReason.ORDER_RATE, {"limit": str(s.max_orders_per_min)}
    notional = data.qty * data.price
    if s.max_notional > 0 and (pos.remaining + data.qty) * data.price > s.max_notional:
        return RejectReason.MAX_NOTIONAL, {"limit": str(s.max_notional)}
    if notional < data.market.min_notional:
        return RejectReason.MIN_NOTIONAL, {"notional": str(notional), "min_notional": str(data.market.min_notional)}
    room = exposure_room(pos.symbol, data.open_positions, data.equity, s.max_exposure_pct, s.max_coin_exposure_pct)
    if room.reason is not None:
        return room.reason, dict(room.detail or {})
    if room.room is not None and notional > room.room:
        assert room.binding is not None
        return room.binding, {"room": str(round(room.room, 2))}
    margin = notional / Decimal(pos.leverage) + notional * data.taker_fee * 2
    if margin > data.free:
        return RejectReason.INSUFFICIENT_MARGIN, {"margin": str(round(margin, 8)), "free": str(round(data.free, 8))}
    return None
