"""What a parser makes of an outside signal (``ExternalSignal``) or why it could not (``ParseFailure``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from engine.domain.values import Side


@dataclass(frozen=True, slots=True)
class ExternalSignal:
    """A trade idea as written by someone else: only ``symbol`` and ``side`` are sure to be there."""

    symbol: str  # as written, normalised (e.g. ``BTC/USDT``); the service resolves it on the venue
    side: Side
    entry: Decimal | None = None  # one price, or the middle of ``entry_range``
    entry_range: tuple[Decimal, Decimal] | None = None
    stop: Decimal | None = None
    targets: tuple[Decimal, ...] = ()
    leverage: int | None = None
    comment: str = ""
    ext_id: str | None = None  # the sender's id (TradingView ``id``), for idempotency


@dataclass(frozen=True, slots=True)
class ParseFailure:
    """The field that is missing or malformed (``symbol``, ``side``, ``stop``, ``entry``, ``targets``,
    ``leverage``, ``body``) and, for malformed values, what was wrong."""

    field: str
    detail: str = ""


ParseResult = ExternalSignal | ParseFailure
