"""The cross-venue hedge as data: a round of two legs (short on one venue, long on another), the
reasons a leg ends, and the alert event a round's steps publish.

Changed only by ``engine.hedge`` (pure rules in ``engine.hedge.rules``, orders in
``engine.hedge.round``). Client order ids are ``hg-<round>-<role><leg>-<n>``: the role (``s`` short,
``l`` long) names the venue's leg, so ids are deterministic and unique across venues.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from engine.domain.events import Event
from engine.domain.values import HUNDRED, ZERO, Side


class LegState(enum.StrEnum):
    OPENING = "opening"  # entry persisted / sent, not confirmed filled
    OPEN = "open"
    CLOSED = "closed"
    FAILED = "failed"  # the entry never filled


class LegExit(enum.StrEnum):
    STOP = "stop"
    TAKE_PROFIT = "take_profit"
    FORCE = "force"  # max holding time, /hedge stop, /panic
    UNWIND = "unwind"  # the other leg failed to open


class RoundState(enum.StrEnum):
    OPENING = "opening"
    OPEN = "open"
    DONE = "done"
    FAILED = "failed"  # nothing opened (both entries refused)


class HedgeAlert(enum.StrEnum):
    """What a ``HedgeEvent`` tells; the front end turns it into words."""

    OPENED = "opened"
    LEG_STOPPED = "leg_stopped"
    LIMIT_PLACED = "limit_placed"
    LIMIT_FILLED = "limit_filled"
    FORCED = "forced"
    UNWOUND = "unwound"
    ENDED = "ended"
    FAILED = "failed"
    VENUE_DOWN = "venue_down"


def hedge_order_id(round_id: str, role: str, leg: str, attempt: int) -> str:
    """``hg-<round>-<role><leg>-<n>``: role ``s``/``l``, leg ``en``/``sl``/``tp``/``cl``; ≤ 36 characters."""
    return f"hg-{round_id}-{role}{leg}-{attempt}"


@dataclass(frozen=True, slots=True)
class HedgeLeg:
    """One side of a round on one venue."""

    role: str  # "s" (short) or "l" (long)
    venue: str
    side: Side
    qty: Decimal
    symbol: str = ""  # the market on this leg's venue (venues may quote the coin differently)
    state: LegState = LegState.OPENING
    entry: Decimal | None = None
    exit: Decimal | None = None
    reason: LegExit | None = None
    fees: Decimal = ZERO
    stop_price: Decimal | None = None
    stop_resting: bool = False  # a reduce-only stop rests on the venue
    tp_price: Decimal | None = None
    tp_seq: int = 0  # attempt number of the take-profit limit; 0 = none placed yet
    tp_active: bool = False
    close_seq: int = 0  # attempts of market closes
    closing: LegExit | None = None  # a market close was sent for this reason, outcome not yet known
    opened_at: datetime | None = None
    closed_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.state is LegState.OPEN

    def pnl_pct(self, mark: Decimal) -> Decimal:
        if self.entry is None or self.entry == 0:
            return ZERO
        return (mark - self.entry) / self.entry * HUNDRED * self.side.sign

    def unrealized(self, mark: Decimal) -> Decimal:
        if self.entry is None or not self.is_open:
            return ZERO
        return (mark - self.entry) * self.qty * self.side.sign

    @property
    def pnl(self) -> Decimal:
        """Realized: price difference times quantity, minus every fee paid (zero while open)."""
        if self.entry is None or self.exit is None:
            return -self.fees if self.state is LegState.CLOSED else ZERO
        return (self.exit - self.entry) * self.qty * self.side.sign - self.fees


@dataclass(frozen=True, slots=True)
class HedgeRound:
    """One hedge from opening both legs to the last leg closed."""

    id: str
    symbol: str
    size: Decimal  # USDT per leg
    qty: Decimal
    leverage: int
    legs: tuple[HedgeLeg, HedgeLeg]  # (short, long)
    started_at: datetime
    deadline: datetime
    state: RoundState = RoundState.OPENING
    ended_at: datetime | None = None
    stop_requested: bool = False

    def leg(self, role: str) -> HedgeLeg:
        return self.legs[0] if role == "s" else self.legs[1]

    def with_leg(self, leg: HedgeLeg) -> HedgeRound:
        legs = (leg, self.legs[1]) if leg.role == "s" else (self.legs[0], leg)
        return replace(self, legs=legs)

    @property
    def is_active(self) -> bool:
        return self.state in (RoundState.OPENING, RoundState.OPEN)

    @property
    def pnl(self) -> Decimal:
        return sum((leg.pnl for leg in self.legs), ZERO)

    @property
    def fees(self) -> Decimal:
        return sum((leg.fees for leg in self.legs), ZERO)


@dataclass(frozen=True, kw_only=True)
class HedgeEvent(Event):
    """A step of a hedge round worth an alert (values only; the bot writes the words)."""

    kind: HedgeAlert
    round_id: str
    symbol: str
    venue: str | None = None  # the leg's venue, or the unreachable one
    price: Decimal | None = None
    pnl: Decimal | None = None  # the leg's (or at the end the round's) realized PnL
    detail: dict[str, str] = field(default_factory=dict)
