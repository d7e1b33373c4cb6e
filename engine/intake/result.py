"""What became of an outside signal: ``IntakeResult`` with an ``IntakeOutcome`` (front ends and the
HTTP routes turn it into words or a status code)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from engine.domain.models import Signal


class IntakeOutcome(enum.StrEnum):
    RAISED = "raised"  # a card (confirm, signal-only) or an entry (auto, TradingView only)
    DUPLICATE = "duplicate"  # the same id (or body within the same minute) came before
    RATE_LIMITED = "rate_limited"  # too many from this source this minute
    INVALID = "invalid"  # a field is missing or malformed: ``field`` says which
    UNKNOWN_SYMBOL = "unknown_symbol"  # not a market of the venue
    NO_PRICE = "no_price"  # the market has no price yet
    HALTED = "halted"  # the engine takes no new entries (the database stopped taking writes)


@dataclass(frozen=True, slots=True)
class IntakeResult:
    outcome: IntakeOutcome
    signal: Signal | None = None
    field: str | None = None
    detail: str = ""
    retry_after: float = 0.0  # seconds, for RATE_LIMITED
