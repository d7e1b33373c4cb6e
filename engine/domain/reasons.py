"""Reason codes the engine returns; front ends turn them into words."""

from __future__ import annotations

import enum


class RejectReason(enum.StrEnum):
    """Why the risk gate (or the confirm path) refused an entry."""

    MAX_POSITIONS = "max_positions"
    SYMBOL_BUSY = "symbol_busy"
    MAX_NOTIONAL = "max_notional"
    MAX_LEVERAGE = "max_leverage"
    DAILY_LOSS = "daily_loss"
    MAX_DRAWDOWN = "max_drawdown"
    ORDER_RATE = "order_rate"
    MIN_QTY = "min_qty"
    MIN_NOTIONAL = "min_notional"
    INSUFFICIENT_MARGIN = "insufficient_margin"
    PAUSED = "paused"
    HALTED = "halted"
    SIGNAL_EXPIRED = "signal_expired"
    SIGNAL_NOT_FOUND = "signal_not_found"
    SIGNAL_CLOSED = "signal_closed"  # already confirmed, cancelled or rejected
    PRICE_DRIFT = "price_drift"
    INVALID_PLAN = "invalid_plan"
    NO_PRICE = "no_price"
    LONG_ONLY = "long_only"  # a short entry on a cash market (A-shares)


class PauseReason(enum.StrEnum):
    MANUAL = "manual"
    DAILY_LOSS = "daily_loss"
    MAX_DRAWDOWN = "max_drawdown"
    PANIC = "panic"
    AUTH_ERROR = "auth_error"


class TradingState(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"  # no new entries; open positions are still managed
    HALTED = "halted"


class ExecutionMode(enum.StrEnum):
    SIGNAL_ONLY = "signal-only"
    CONFIRM = "confirm"
    AUTO = "auto"


class ErrorCode(enum.StrEnum):
    """Errors that need a human; ``EngineError`` carries one."""

    EXCHANGE_REJECTED = "exchange_rejected"
    STOP_NOT_PLACED = "stop_not_placed"
    RECONCILED = "reconciled"
    AUTH = "auth"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    NETWORK = "network"
    INTERNAL = "internal"
    MARKET_RULE = "market_rule"  # the market's rules hold an exit back (T+1, limit-down)
