"""The risk gate: every entry passes it; a refusal carries a reason code (never prose)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from config.settings import RiskSettings
from engine.domain.models import MarketSpec, Position, Signal, split_by_shares
from engine.domain.reasons import RejectReason, TradingState
from engine.domain.values import HUNDRED, ZERO, Side, floor_to_step
from engine.risk.sizing import size_qty
from engine.risk.state import RiskState


@dataclass(frozen=True)
class Limits:
    """The runtime-adjustable part of the risk settings."""

    max_positions: int
    max_leverage: int
    risk_per_trade_pct: Decimal


@dataclass(frozen=True)
class GateInput:
    signal: Signal
    market: MarketSpec
    equity: Decimal
    free: Decimal
    open_positions: list[Position]
    state: RiskState
    orders_last_minute: int
    limits: Limits
    taker_fee: Decimal = Decimal("0.0004")
    position_cap_pct: Decimal = ZERO  # one position's value at most, % of equity (A-shares); 0 = none


@dataclass(frozen=True)
class Decision:
    ok: bool
    reason: RejectReason | None = None
    qty: Decimal = ZERO
    single_target: bool = False
    detail: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def reject(reason: RejectReason, **detail: object) -> Decision:
        return Decision(False, reason, detail={k: str(v) for k, v in detail.items()})


class RiskGate:
    def __init__(self, settings: RiskSettings) -> None:
        self.settings = settings

    def check(self, data: GateInput) -> Decision:
        s, sig, mkt, lim = self.settings, data.signal, data.market, data.limits
        if data.state.state is TradingState.HALTED:
            return Decision.reject(RejectReason.HALTED)
        if data.state.state is TradingState.PAUSED:
            return Decision.reject(RejectReason.PAUSED, pause_reason=data.state.reason or "",
                                   until=data.state.until.isoformat() if data.state.until else "")
        if len(data.open_positions) >= lim.max_positions:
            return Decision.reject(RejectReason.MAX_POSITIONS, limit=lim.max_positions)
        if any(p.symbol == sig.symbol for p in data.open_positions):
            return Decision.reject(RejectReason.SYMBOL_BUSY, symbol=sig.symbol)
        if mkt.long_only and sig.side is Side.SHORT:
            return Decision.reject(RejectReason.LONG_ONLY, symbol=sig.symbol)
        if sig.leverage > lim.max_leverage or sig.leverage > mkt.max_leverage:
            return Decision.reject(RejectReason.MAX_LEVERAGE, leverage=sig.leverage,
                                   limit=min(lim.max_leverage, mkt.max_leverage))
        st = data.state
        if s.daily_loss_limit_pct > 0 and st.day_start_equity > 0:
            if -st.day_pnl >= st.day_start_equity * s.daily_loss_limit_pct / HUNDRED:
                return Decision.reject(RejectReason.DAILY_LOSS, limit_pct=s.daily_loss_limit_pct)
        if s.max_drawdown_pct > 0 and st.equity_peak > 0:
            drawdown = (st.equity_peak - data.equity) / st.equity_peak * HUNDRED
            if drawdown >= s.max_drawdown_pct:
                return Decision.reject(RejectReason.MAX_DRAWDOWN, drawdown_pct=round(drawdown, 2),
                                       limit_pct=s.max_drawdown_pct)
        if data.orders_last_minute >= s.max_orders_per_min:
            return Decision.reject(RejectReason.ORDER_RATE, limit=s.max_orders_per_min)
        if not sig.targets or (sig.stop - sig.entry) * sig.side.sign >= 0:
            return Decision.reject(RejectReason.INVALID_PLAN)

        qty = self.size(sig, mkt, data.equity, lim.risk_per_trade_pct, data.position_cap_pct)
        if s.max_notional > 0 and max(mkt.min_qty, mkt.qty_step) * sig.entry > s.max_notional:
            return Decision.reject(RejectReason.MAX_NOTIONAL, limit=s.max_notional)
        if qty <= 0 or qty < mkt.min_qty:
            return Decision.reject(RejectReason.MIN_QTY, qty=qty, min_qty=mkt.min_qty)
        notional = qty * sig.entry
        if notional < mkt.min_notional:
            return Decision.reject(RejectReason.MIN_NOTIONAL, notional=notional, min_notional=mkt.min_notional)
        margin = notional / Decimal(sig.leverage) + notional * data.taker_fee * 2
        if margin > data.free:
            return Decision.reject(RejectReason.INSUFFICIENT_MARGIN, margin=round(margin, 8),
                                   free=round(data.free, 8))
        single = not self.targets_split_valid(qty, sig, mkt)
        return Decision(True, qty=qty, single_target=single, detail={"notional": str(notional)})

    def size(self, sig: Signal, mkt: MarketSpec, equity: Decimal, risk_per_trade_pct: Decimal,
             position_cap_pct: Decimal = ZERO) -> Decimal:
        """The quantity an entry on ``sig`` gets: the sizing method, the notional cap, the per-stock cap
        (% of equity, A-shares), the lot step."""
        s = self.settings
        raw = size_qty(s.sizing, s, equity, sig.entry, sig.stop, sig.leverage, sig.atr_pct, risk_per_trade_pct)
        if s.max_notional > 0 and raw * sig.entry > s.max_notional:
            raw = s.max_notional / sig.entry
        if position_cap_pct > 0:
            raw = min(raw, equity * position_cap_pct / HUNDRED / sig.entry)
        return floor_to_step(raw, mkt.qty_step)

    def targets_split_valid(self, qty: Decimal, sig: Signal, mkt: MarketSpec) -> bool:
        if len(sig.targets) < 2:
            return True
        parts = split_by_shares(qty, [t.share for t in sig.targets], mkt.qty_step)
        for part, target in zip(parts, sig.targets, strict=True):
            if part <= 0 or part < mkt.min_qty or part * target.price < mkt.min_notional:
                return False
        return True
