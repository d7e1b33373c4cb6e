"""Small value types shared by the whole engine: sides, timeframes and exact Decimal helpers."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

ZERO = Decimal("0")
ONE = Decimal("1")
HUNDRED = Decimal("100")


class Side(enum.StrEnum):
    """Direction of a position."""

    LONG = "long"
    SHORT = "short"

    @property
    def sign(self) -> int:
        return 1 if self is Side.LONG else -1

    @property
    def entry_action(self) -> OrderAction:
        return OrderAction.BUY if self is Side.LONG else OrderAction.SELL

    @property
    def exit_action(self) -> OrderAction:
        return OrderAction.SELL if self is Side.LONG else OrderAction.BUY


class OrderAction(enum.StrEnum):
    """Buy or sell, as an exchange sees an order."""

    BUY = "buy"
    SELL = "sell"


_TF_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}


def timeframe_seconds(timeframe: str) -> int:
    """Seconds in a timeframe such as ``5m``, ``1h`` or ``4h``; raises ValueError on a bad one."""
    if len(timeframe) < 2 or timeframe[-1] not in _TF_SECONDS or not timeframe[:-1].isdigit():
        raise ValueError(f"unknown timeframe {timeframe!r} (use e.g. 5m, 15m, 1h, 4h, 1d)")
    amount = int(timeframe[:-1])
    if amount <= 0:
        raise ValueError(f"unknown timeframe {timeframe!r}")
    return amount * _TF_SECONDS[timeframe[-1]]


def utc(dt: datetime) -> datetime:
    """The same instant as an aware UTC datetime (naive values are taken to be UTC)."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def from_millis(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def to_millis(dt: datetime) -> int:
    return int(utc(dt).timestamp() * 1000)


def dec(value: object) -> Decimal:
    """A Decimal from an int, str, float or Decimal (floats go through repr, never binary)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def round_to_step(value: Decimal, step: Decimal, mode: str = ROUND_HALF_EVEN) -> Decimal:
    """Round ``value`` to a multiple of ``step`` (a tick or lot size)."""
    if step <= 0:
        return value
    units = (value / step).to_integral_value(rounding=mode)
    exponent = step.as_tuple().exponent  # an int for every finite step
    return (units * step).quantize(step) if isinstance(exponent, int) and exponent < 0 else units * step


def floor_to_step(value: Decimal, step: Decimal) -> Decimal:
    """Round down to the step: quantities never grow when rounded."""
    return round_to_step(value, step, ROUND_DOWN)


def price_toward(value: Decimal, step: Decimal, up: bool) -> Decimal:
    """Round a price to the tick, toward +inf (``up``) or -inf."""
    return round_to_step(value, step, ROUND_CEILING if up else ROUND_FLOOR)


