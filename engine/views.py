"""Read models the façade returns to front ends (bot, CLI): plain frozen dataclasses."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from engine.domain.models import Balance, Position, Signal
from engine.domain.reasons import RejectReason
from engine.market.base import Candles


class ConfirmOutcome(enum.StrEnum):
    OPENED = "opened"  # entry filled, position open
    SUBMITTED = "submitted"  # entry sent, fill not yet reported (live)
    ALREADY = "already"  # the signal was confirmed before: nothing new happened
    REJECTED = "rejected"  # see reason
    DRIFT = "drift"  # price moved past the allowed drift: signal re-planned at ``price``, ask again


@dataclass(frozen=True)
class ConfirmResult:
    outcome: ConfirmOutcome
    signal: Signal | None
    position: Position | None = None
    reason: RejectReason | None = None
    price: Decimal | None = None
    detail: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CancelResult:
    ok: bool
    signal: Signal | None
    reason: RejectReason | None = None


@dataclass(frozen=True)
class AlgoRunView:
    """A TWAP or iceberg still running on a position: slices filled of planned, average fill price."""

    kind: str  # twap, iceberg
    entry: bool  # its entry (else an exit)
    done: int
    slices: int
    avg_price: Decimal | None


@dataclass(frozen=True)
class PositionView:
    position: Position
    mark: Decimal | None
    unrealized: Decimal
    sellable_from: datetime | None = None  # T+1 (A-shares): cannot exit before this session starts
    running: tuple[AlgoRunView, ...] = ()  # its execution algorithms still running


@dataclass(frozen=True)
class CloseResult:
    ok: bool
    position: Position | None
    detail: str = ""  # error code when not ok: not_found, not_open, or a broker error code


@dataclass(frozen=True)
class StatusView:
    mode: str  # execution mode: signal-only, confirm, auto
    paper: bool
    trading_state: str  # active, paused, halted
    pause_reason: str | None
    paused_until: datetime | None
    balance: Balance | None  # None while a live exchange cannot be reached
    open_positions: int
    today_pnl: Decimal
    next_scan: datetime | None
    last_scan: datetime | None
    symbols: int
    venue_down_since: datetime | None = None  # the exchange cannot be reached since then


@dataclass(frozen=True)
class ScanResult:
    symbols: int
    raised: tuple[Signal, ...]
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class PnlStats:
    period: str  # today, 7d, 30d, all
    start: datetime | None
    trades: int
    wins: int
    losses: int
    net_pnl: Decimal
    fees: Decimal
    daily: tuple[tuple[date, Decimal], ...]  # realized PnL per UTC day
    equity_curve: tuple[tuple[datetime, Decimal], ...]

    @property
    def win_rate(self) -> float:
        return self.wins / self.trades if self.trades else 0.0


@dataclass(frozen=True)
class ChartLevel:
    name: str  # entry, stop, tp1, tp2, breakeven
    price: Decimal


@dataclass(frozen=True)
class ChartMarker:
    ts: datetime
    price: Decimal
    kind: str  # entry, tp1, tp2, stop, …


@dataclass(frozen=True)
class ChartData:
    symbol: str
    timeframe: str
    candles: Candles
    levels: tuple[ChartLevel, ...] = ()
    markers: tuple[ChartMarker, ...] = ()


class SettingError(enum.StrEnum):
    UNKNOWN_KEY = "unknown_key"
    INVALID_VALUE = "invalid_value"


@dataclass(frozen=True)
class SettingUpdate:
    ok: bool
    key: str
    value: str | None = None
    error: SettingError | None = None
    detail: str = ""  # the allowed range or choices when invalid
