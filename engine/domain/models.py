"""Domain models: market specs, signals, orders, fills and positions (frozen; changed with ``replace``)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from engine.domain.ids import ClientOrderId
from engine.domain.values import ZERO, OrderAction, Side, floor_to_step


@dataclass(frozen=True, slots=True)
class MarketSpec:
    """What a venue allows for one market: tick and lot sizes, minimums, leverage."""

    symbol: str
    base: str
    quote: str
    price_step: Decimal
    qty_step: Decimal
    min_qty: Decimal = ZERO
    min_notional: Decimal = ZERO
    max_leverage: int = 125
    long_only: bool = False  # cash equities (A-shares): no short entries


@dataclass(frozen=True, slots=True)
class FactorScore:
    """One factor's part in a signal's score; ``available`` is False when history was too short."""

    name: str
    value: float | None
    direction: float  # -1 (bearish) .. +1 (bullish)
    weight: float
    contribution: float  # points added to the 0–100 score
    available: bool = True
    note: str = ""


@dataclass(frozen=True, slots=True)
class Target:
    """A take-profit level and the share of the initial quantity it closes."""

    price: Decimal
    share: Decimal


def split_by_shares(qty: Decimal, shares: list[Decimal], step: Decimal) -> list[Decimal]:
    """Quantities per target: each share floored to the lot step, the last takes the rest."""
    parts = [floor_to_step(qty * share, step) for share in shares[:-1]]
    parts.append(qty - sum(parts, ZERO))
    return parts


class SignalStatus(enum.StrEnum):
    RAISED = "raised"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Signal:
    """A scored trade idea with its plan. Prices are exact; the score is 0–100."""

    id: str
    symbol: str
    side: Side
    score: float
    factors: tuple[FactorScore, ...]
    entry: Decimal
    stop: Decimal
    targets: tuple[Target, ...]
    leverage: int
    created_at: datetime
    expires_at: datetime
    timeframe: str = "15m"
    status: SignalStatus = SignalStatus.RAISED
    status_by: str | None = None
    reason: str | None = None
    atr_pct: float | None = None
    source: str = "scanner"  # scanner, tradingview, text (an admin's message) or channel

    def top_factors(self, n: int = 3) -> tuple[FactorScore, ...]:
        avail = [f for f in self.factors if f.available]
        return tuple(sorted(avail, key=lambda f: abs(f.contribution), reverse=True)[:n])

    def with_status(self, status: SignalStatus, by: str | None = None, reason: str | None = None) -> Signal:
        return replace(self, status=status, status_by=by, reason=reason)


class OrderType(enum.StrEnum):
    MARKET = "market"
    LIMIT = "limit"
    STOP_MARKET = "stop_market"
    TAKE_PROFIT = "take_profit"  # reduce-only limit at the target price


class OrderStatus(enum.StrEnum):
    NEW = "new"  # persisted, maybe not yet sent: look it up by client id after a crash
    OPEN = "open"  # acknowledged by the broker, resting
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"

    @property
    def is_final(self) -> bool:
        return self in (OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED)


class Leg(enum.StrEnum):
    """What an order is for, inside its position. Part of the client order id."""

    ENTRY = "en"
    STOP = "sl"
    TARGET = "tp"  # numbered: tp1, tp2, …
    CLOSE = "cl"  # manual, time, panic or fallback market close
    REDUCE = "rd"  # a partial close from the chat (the rest stays managed, protection re-sized)
    ADD = "ad"  # an addition to an open position from the chat
    SCALE = "sc"  # a resting part of a scale-in entry (engine.execution.entry)
    TWAP_ENTRY = "te"  # slices of an execution algorithm (engine.execution.algos): TWAP or iceberg,
    TWAP_EXIT = "tx"  # entry or exit; their client ids carry the slice's index
    ICEBERG_ENTRY = "ie"
    ICEBERG_EXIT = "ix"


ALGO_ENTRY_LEGS = (Leg.TWAP_ENTRY.value, Leg.ICEBERG_ENTRY.value)
ALGO_EXIT_LEGS = (Leg.TWAP_EXIT.value, Leg.ICEBERG_EXIT.value)
ENTRY_LEGS = (Leg.ENTRY.value, *ALGO_ENTRY_LEGS)  # what opens a position


def slice_order_id(position_id: str, leg: str, attempt: int, index: int) -> str:
    """Deterministic client id of slice ``index`` of an algorithm run (``ClientOrderId``)."""
    return str(ClientOrderId(position_id, leg, attempt, index))


def client_order_id(position_id: str, leg: str, attempt: int) -> str:
    """Deterministic client order id per (position, leg, attempt) (``ClientOrderId``)."""
    return str(ClientOrderId(position_id, leg, attempt))


def position_id_of(client_id: str) -> str | None:
    """The position id inside one of our client order ids (``ClientOrderId``)."""
    parsed = ClientOrderId.parse(client_id)
    return parsed.position_id if parsed else None


@dataclass(frozen=True, slots=True)
class Order:
    """An order as the engine knows it."""

    client_id: str
    position_id: str
    leg: str  # "en", "sl", "tp1", "tp2", "cl"
    symbol: str
    action: OrderAction
    type: OrderType
    qty: Decimal
    created_at: datetime
    price: Decimal | None = None
    trigger_price: Decimal | None = None
    reduce_only: bool = False
    status: OrderStatus = OrderStatus.NEW
    exchange_id: str | None = None
    filled_qty: Decimal = ZERO
    avg_price: Decimal | None = None
    fee: Decimal = ZERO
    error: str | None = None
    venue: str = "default"  # the venue it was placed on (``SP_VENUES__<NAME>``; ``default`` = SP_EXCHANGE)


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """What the engine asks a broker to place."""

    client_id: str
    symbol: str
    action: OrderAction
    type: OrderType
    qty: Decimal
    price: Decimal | None = None
    trigger_price: Decimal | None = None
    reduce_only: bool = False
    leverage: int = 1


@dataclass(frozen=True, slots=True)
class VenueOrder:
    """An order as a broker reports it (answer to a placement, a look-up or a listing)."""

    client_id: str
    symbol: str
    status: OrderStatus
    exchange_id: str | None = None
    action: OrderAction | None = None
    type: OrderType | None = None
    qty: Decimal = ZERO
    price: Decimal | None = None
    trigger_price: Decimal | None = None
    reduce_only: bool = False
    filled_qty: Decimal = ZERO
    avg_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Fill:
    """A trade of one of our orders."""

    trade_id: str
    client_id: str
    symbol: str
    action: OrderAction
    qty: Decimal
    price: Decimal
    fee: Decimal
    ts: datetime
    is_maker: bool = False
    venue: str = "default"  # the venue the trade happened on


@dataclass(frozen=True, slots=True)
class VenuePosition:
    """A position as the broker (paper venue or exchange) reports it."""

    symbol: str
    side: Side
    qty: Decimal
    entry_price: Decimal
    leverage: int
    liquidation_price: Decimal | None = None
    unrealized_pnl: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class Balance:
    currency: str
    wallet: Decimal  # cash incl. realized PnL
    equity: Decimal  # wallet + unrealized PnL
    free: Decimal  # available for new margin


class PositionState(enum.StrEnum):
    PENDING = "pending"  # entry persisted / sent, not filled yet
    OPEN = "open"
    CLOSED = "closed"
    FAILED = "failed"  # entry never filled (rejected, cancelled)


class CloseReason(enum.StrEnum):
    TARGET = "target"
    STOP = "stop"
    BREAKEVEN = "breakeven"
    TRAILING = "trailing"
    TIME = "time"
    MANUAL = "manual"
    PANIC = "panic"
    LIQUIDATION = "liquidation"
    END = "end"  # backtest data ended
    EXTERNAL = "external"  # closed on the exchange outside the bot
    MAX_LOSS = "max_loss"  # the position's loss reached the per-position cap (% of equity)
    NOT_FILLED = "not_filled"  # a limit entry that had filled nothing at its timeout


@dataclass(frozen=True, slots=True)
class Position:
    """A trade from entry to exit; changed only by ``engine.positions.lifecycle``."""

    id: str
    signal_id: str
    symbol: str
    side: Side
    state: PositionState
    qty: Decimal  # intended, then filled, entry quantity
    remaining: Decimal
    entry_price: Decimal  # planned until filled, then the average fill price
    stop_price: Decimal
    initial_stop: Decimal
    targets: tuple[Target, ...]
    leverage: int
    created_at: datetime
    targets_hit: int = 0
    realized_pnl: Decimal = ZERO  # gross PnL of exits minus every fee paid
    fees: Decimal = ZERO
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    close_reason: CloseReason | None = None
    breakeven: bool = False
    stop_seq: int = 0  # attempt number of the current stop order
    stop_kind: str = "stop"  # what the current stop is: stop, breakeven or trailing
    close_seq: int = 0  # attempts of market closes (manual, time, panic, fallback)
    trailing_pct: Decimal = ZERO
    time_stop_at: datetime | None = None
    best_price: Decimal | None = None  # most favourable price since entry (trailing)
    liquidation_price: Decimal | None = None
    exits: tuple[Exit, ...] = field(default_factory=tuple)
    venue: str = "default"  # the venue it is held on

    @property
    def is_open(self) -> bool:
        return self.state in (PositionState.PENDING, PositionState.OPEN)

    def unrealized(self, mark: Decimal) -> Decimal:
        return (mark - self.entry_price) * self.remaining * self.side.sign


@dataclass(frozen=True, slots=True)
class Exit:
    """One reduction of a position, for trade reports."""

    ts: datetime
    price: Decimal
    qty: Decimal
    reason: str  # tp1, tp2, …, stop, breakeven, trailing, time, manual, panic, end, liquidation
    fee: Decimal
    pnl: Decimal  # gross of this exit minus its fee
