"""Domain events: immutable, past-tense facts with an id and a timestamp, published on the bus."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from engine.domain.models import CloseReason, Position, Signal
from engine.domain.reasons import ErrorCode, PauseReason, RejectReason
from engine.domain.values import ZERO


def _event_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, kw_only=True)
class Event:
    ts: datetime
    id: str = field(default_factory=_event_id)
    paper: bool = True


@dataclass(frozen=True, kw_only=True)
class SignalRaised(Event):
    signal: Signal
    auto: bool = False  # the engine will execute it without asking
    on_demand: bool = False  # asked for by a user (/signal): shown to them whatever its score


@dataclass(frozen=True, kw_only=True)
class SignalConfirmed(Event):
    signal: Signal
    by: str


@dataclass(frozen=True, kw_only=True)
class SignalCancelled(Event):
    signal: Signal
    by: str


@dataclass(frozen=True, kw_only=True)
class SignalExpired(Event):
    signal: Signal


@dataclass(frozen=True, kw_only=True)
class RiskRejected(Event):
    signal: Signal
    reason: RejectReason
    detail: dict[str, str] = field(default_factory=dict)  # values for the message, never prose


@dataclass(frozen=True, kw_only=True)
class OrderFilled(Event):
    position_id: str
    signal_id: str
    client_id: str
    leg: str
    symbol: str
    qty: Decimal
    price: Decimal
    fee: Decimal


@dataclass(frozen=True, kw_only=True)
class PositionOpened(Event):
    position: Position
    single_target: bool = False  # the TP1 part would be below the market minimum: one target
    partial: bool = False  # a limit entry's first fill: the rest keeps working, the stop and targets follow it


@dataclass(frozen=True, kw_only=True)
class TargetHit(Event):
    position: Position
    target: int  # 1-based
    qty: Decimal
    price: Decimal
    pnl: Decimal  # this exit, net of its fee
    new_stop: Decimal | None


@dataclass(frozen=True, kw_only=True)
class StopMovedToBreakeven(Event):
    position: Position
    old_stop: Decimal
    new_stop: Decimal


@dataclass(frozen=True, kw_only=True)
class StopMoved(Event):
    position: Position
    old_stop: Decimal
    new_stop: Decimal


@dataclass(frozen=True, kw_only=True)
class EntryNotFilled(Event):
    """An entry filled nothing in time: cancelled, the position never opened. ``by``: the limit
    entry at its timeout ("limit"), or an execution algorithm ("twap", "iceberg") that ended first."""

    position: Position
    by: str = "limit"


@dataclass(frozen=True, kw_only=True)
class StopMovedByHand(Event):
    """The stop moved on request (``/stop``); ``loosened``: farther from the price, an admin's second tap."""

    position: Position
    old_stop: Decimal
    new_stop: Decimal
    by: str
    loosened: bool = False


@dataclass(frozen=True, kw_only=True)
class TargetMoved(Event):
    position: Position
    target: int  # 1-based
    old_price: Decimal
    new_price: Decimal
    by: str


@dataclass(frozen=True, kw_only=True)
class PositionResized(Event):
    """A partial close or an addition filled; the stop and the remaining targets now cover ``position.remaining``."""

    position: Position
    leg: str  # "rd" (partial close) or "ad" (addition)
    qty: Decimal
    price: Decimal
    breakeven_price: Decimal  # re-planned from the new average entry


@dataclass(frozen=True, kw_only=True)
class AlgoProgressed(Event):
    """An execution algorithm (engine.execution: TWAP, iceberg) filled a slice, or ended: the card's
    thread reads e.g. ``TWAP 4/10, avg 64,210``."""

    position: Position
    kind: str  # twap, iceberg
    entry: bool  # an entry (else an exit)
    done: int  # slices filled
    slices: int  # planned
    filled: Decimal
    total: Decimal
    avg_price: Decimal | None
    status: str  # running, done, stopped (the stop price was reached), cancelled


@dataclass(frozen=True, kw_only=True)
class PositionClosed(Event):
    position: Position
    reason: CloseReason
    pnl: Decimal  # realized over the whole position, net of fees
    fees: Decimal
    exit_price: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class TradingPaused(Event):
    reason: PauseReason
    until: datetime | None = None
    by: str | None = None


@dataclass(frozen=True, kw_only=True)
class TradingResumed(Event):
    reason: str = "manual"
    by: str | None = None


@dataclass(frozen=True, kw_only=True)
class PanicItem:
    kind: str  # "position" or "order"
    ref: str  # position id or client order id
    symbol: str
    ok: bool
    detail: str = ""  # an error code / exchange message when not ok
    pnl: Decimal = ZERO
    margin: Decimal | None = None  # a position's margin (entry × qty / leverage): the base of its return in %


@dataclass(frozen=True, kw_only=True)
class PanicCompleted(Event):
    by: str
    items: tuple[PanicItem, ...]


@dataclass(frozen=True, kw_only=True)
class EngineError(Event):
    code: ErrorCode
    detail: str = ""  # secrets are redacted before it gets here
    position_id: str | None = None
    signal_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class ScanCompleted(Event):
    symbols: int
    raised: int
    next_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class VenueUnreachable(Event):
    """The exchange could not be reached (network, DNS, region block, maintenance); the engine
    runs without it and retries. Published once per outage."""

    venue: str
    since: datetime
    detail: str = ""  # the last error, secrets redacted
    retry_in: float = 0.0  # seconds until the next attempt


@dataclass(frozen=True, kw_only=True)
class VenueConnected(Event):
    """The exchange answers again: markets loaded, state reconciled, scanning and trading resumed."""

    venue: str
    down_since: datetime | None = None
    markets: int = 0


class StorageFault(enum.StrEnum):
    """Why the database stopped taking writes (failures that will not fix themselves)."""

    READ_ONLY = "read_only"
    DISK_FULL = "disk_full"
    IO_ERROR = "io_error"
    CORRUPT = "corrupt"
    GONE = "gone"  # the file or server cannot be reached any more


@dataclass(frozen=True, kw_only=True)
class StorageFailed(Event):
    """The database stopped taking writes: no new entries, protective orders stay on the venue, and
    the process stops. Front ends must deliver this without the database."""

    fault: StorageFault
    detail: str = ""  # the driver's message, secrets masked
