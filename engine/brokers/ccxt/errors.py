"""The one place where ccxt exceptions become the engine's broker errors.

``map_errors`` is a context manager. It looks first at the
venue's numeric code inside the message — with a replaced host ccxt cannot pick Binance's
futures error table and raises a plain ``ExchangeError`` carrying ``{"code":-2019,...}`` — and
then at the ccxt exception class. Every message is redacted (``engine.brokers.errors.redact``)
and the ccxt exception is never chained, so no key, signature or query string escapes through
``__cause__`` into a log record.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

import ccxt

from engine.brokers.ccxt.counters import RATE_LIMITS
from engine.brokers.errors import (
    AuthError,
    BrokerError,
    InsufficientFunds,
    InvalidOrder,
    NetworkError,
    OrderNotFound,
    PositionModeError,
    RateLimited,
    TimestampError,
    UnknownOutcome,
    WouldTriggerImmediately,
    redact,
)


def venue_of(exc: BaseException) -> str:
    """The ccxt exchange id a ccxt message starts with (``binanceusdm {"code":-1003,…}``)."""
    head = str(exc).split(" ", 1)[0]
    return head if head in ccxt.exchanges else "unknown"

P = ParamSpec("P")
T = TypeVar("T")

_CODE_RE = re.compile(r'"code"\s*:\s*"?(-?\d+)')
_MSG_RE = re.compile(r'"msg"\s*:\s*"([^"]*)"')

ALGO_API_HINT = ("this order type must go through the venue's algo-order API "
                 "(stop and take-profit orders are conditional orders)")

# Binance codes (USDⓈ-M futures and common) → engine error type. Codes not listed fall back to
# the ccxt class of the exception.
CODE_MAP: dict[str, type[BrokerError]] = {
    "-1021": TimestampError,  # timestamp outside recvWindow
    "-1022": AuthError,  # signature not valid
    "-2014": AuthError,  # API-key format invalid
    "-2015": AuthError,  # invalid API-key, IP or permissions
    "-1002": AuthError,  # unauthorized
    "-4046": BrokerError,  # no need to change margin type (callers treat as success)
    "-4059": BrokerError,  # no need to change position side (callers treat as success)
    "-2018": InsufficientFunds,
    "-2019": InsufficientFunds,  # margin is insufficient
    "-2021": WouldTriggerImmediately,  # order would immediately trigger
    "-2022": InvalidOrder,  # reduce-only order rejected
    "-4164": InvalidOrder,  # notional too small
    "-1111": InvalidOrder,  # precision over the maximum
    "-1013": InvalidOrder,  # filter failure (lot size, price, min notional)
    "-4003": InvalidOrder,  # quantity less than or equal to zero
    "-4005": InvalidOrder,  # quantity greater than max quantity
    "-1116": InvalidOrder,  # invalid order type
    "-1106": InvalidOrder,  # parameter sent when not required
    "-4120": InvalidOrder,  # order type must use the algo API
    "-4116": InvalidOrder,  # client order id duplicated (place_order looks it up)
    "-4061": PositionModeError,  # position side does not match the account's mode
    "-4067": PositionModeError,  # position side cannot change: open orders exist
    "-4068": PositionModeError,  # position side cannot change: positions exist
    "-4048": InvalidOrder,  # margin type cannot change: open orders or position
    "-2011": OrderNotFound,  # unknown order sent (cancel)
    "-2013": OrderNotFound,  # order does not exist
    "-1003": RateLimited,  # too many requests
    "-1015": RateLimited,  # too many new orders
    "-1007": UnknownOutcome,  # timeout waiting for the backend: execution status unknown
    "-1000": NetworkError,  # unknown error (HTTP 5xx): outcome unknown
    "-1001": NetworkError,  # internal error / disconnected
    "-1006": NetworkError,  # unexpected response from the message bus: outcome unknown
}

NO_CHANGE_CODES = frozenset({"-4046", "-4059"})


def venue_code(text: str) -> str | None:
    """The venue's numeric error code in a ccxt message (``{"code":-2019,...}``), if any."""
    match = _CODE_RE.search(text)
    return match.group(1) if match else None


def venue_message(text: str) -> str | None:
    match = _MSG_RE.search(text)
    return match.group(1) if match else None


def _retry_after(headers: Mapping[str, Any] | None) -> float | None:
    if not headers:
        return None
    for key, value in headers.items():
        if str(key).lower() == "retry-after":
            try:
                return float(value)
            except (TypeError, ValueError):
                return None
    return None


def translate(exc: BaseException, action: str, *, creating: bool = False,
              headers: Mapping[str, Any] | None = None) -> BrokerError:
    """The engine error for a ccxt exception raised while doing ``action``."""
    raw = str(exc)
    code = venue_code(raw)
    detail = venue_message(raw) or _strip_ccxt(raw)
    text = f"{action}: {detail}" if detail else action
    if code == "-4120":
        return InvalidOrder(f"{action}: {ALGO_API_HINT} ({detail})", venue_code=code)
    if code == "-1007" and not creating:
        return NetworkError(text, venue_code=code)
    if code in NO_CHANGE_CODES or isinstance(exc, ccxt.NoChange):
        return BrokerError(text, venue_code=code or "no_change")
    if code in CODE_MAP:
        kind = CODE_MAP[code]
        if kind is NetworkError and creating:
            return UnknownOutcome(text, venue_code=code)
        if kind is RateLimited:
            RATE_LIMITS[venue_of(exc)] += 1
            return RateLimited(text, retry_after=_retry_after(headers), venue_code=code)
        return kind(text, venue_code=code)
    if isinstance(exc, ccxt.DDoSProtection | ccxt.RateLimitExceeded):
        RATE_LIMITS[venue_of(exc)] += 1
        return RateLimited(text, retry_after=_retry_after(headers), venue_code=code)
    if isinstance(exc, ccxt.AuthenticationError):  # incl. PermissionDenied, AccountSuspended
        return AuthError(text, venue_code=code)
    if isinstance(exc, ccxt.InvalidNonce):
        return TimestampError(text, venue_code=code)
    if isinstance(exc, ccxt.RequestTimeout):
        return UnknownOutcome(text) if creating else NetworkError(text)
    if isinstance(exc, ccxt.NetworkError | ccxt.BadResponse):
        # after a send whose answer was lost the order may exist: only a look-up can tell
        return UnknownOutcome(text) if creating else NetworkError(text)
    if isinstance(exc, ccxt.InsufficientFunds):
        return InsufficientFunds(text, venue_code=code)
    if isinstance(exc, ccxt.OrderImmediatelyFillable):
        return WouldTriggerImmediately(text, venue_code=code)
    if isinstance(exc, ccxt.OrderNotFound):
        return OrderNotFound(text, venue_code=code)
    if isinstance(exc, ccxt.InvalidOrder | ccxt.BadRequest):
        return InvalidOrder(text, venue_code=code)
    if isinstance(exc, ccxt.BaseError):
        return BrokerError(text, venue_code=code)
    if isinstance(exc, TimeoutError):
        return UnknownOutcome(text) if creating else NetworkError(text)
    if isinstance(exc, OSError):
        return UnknownOutcome(text) if creating else NetworkError(text)
    return BrokerError(f"{action}: {type(exc).__name__}")


def _strip_ccxt(raw: str) -> str:
    """A short, secret-free remainder of a ccxt message: no URLs, no query strings."""
    text = re.sub(r"\b(?:https?|wss?)://\S+", "<url>", raw)
    text = re.sub(r"\b\w+=[^&\s]*(?:&\w+=[^&\s]*)+", "<params>", text)
    return redact(text.strip())[:300]


@contextmanager
def map_errors(action: str, *, creating: bool = False,
               headers: Callable[[], Mapping[str, Any] | None] | None = None) -> Iterator[None]:
    """Translate ccxt (and socket) errors raised inside the block to ``BrokerError`` subclasses.

    ``creating`` marks an order placement: a timeout or a lost connection then means
    ``UnknownOutcome`` (look the order up by client id; never resend blindly).
    """
    try:
        yield
    except BrokerError:
        raise
    except (ccxt.BaseError, OSError, TimeoutError) as exc:
        err = translate(exc, action, creating=creating, headers=headers() if headers else None)
        raise err from None


def is_no_change(err: BrokerError) -> bool:
    """The venue said the setting already had the requested value (margin type, position side)."""
    return err.venue_code in NO_CHANGE_CODES or err.venue_code == "no_change" \
        or "no need to change" in str(err).lower()

