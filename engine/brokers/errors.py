"""Broker errors: the engine's own exception types, independent of ccxt.

The ccxt adapter maps ccxt exceptions (and Binance codes hidden in messages) to these in one
place; the paper broker raises them directly. Messages never carry secrets.
"""

from __future__ import annotations

from engine.redaction import redact, register_secret

__all__ = ["redact", "register_secret"]


class BrokerError(Exception):
    """Base of every venue error. ``code`` is a short machine code for presenters."""

    code = "broker_error"
    retryable = False

    def __init__(self, message: str = "", *, venue_code: str | None = None) -> None:
        super().__init__(redact(message))
        self.venue_code = venue_code


class NetworkError(BrokerError):
    code = "network"
    retryable = True


class RateLimited(NetworkError):
    code = "rate_limited"

    def __init__(self, message: str = "", *, retry_after: float | None = None, venue_code: str | None = None):
        super().__init__(message, venue_code=venue_code)
        self.retry_after = retry_after


class UnknownOutcome(NetworkError):
    """A request timed out: it may or may not have reached the venue (look it up; never resend)."""

    code = "unknown_outcome"


class TimestampError(BrokerError):
    code = "timestamp"
    retryable = True


class InsufficientFunds(BrokerError):
    code = "insufficient_funds"


class InvalidOrder(BrokerError):
    code = "invalid_order"


class WouldTriggerImmediately(InvalidOrder):
    code = "would_trigger"


class OrderNotFound(BrokerError):
    code = "order_not_found"


class AuthError(BrokerError):
    code = "auth"


class PositionModeError(BrokerError):
    code = "position_mode"
