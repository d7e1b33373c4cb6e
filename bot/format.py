"""Number, time and HTML formatting shared by the presenters (no translation here).

Prices keep significant digits (a BTC-quoted price of 0.098123 stays readable), money is rounded for
its currency by ``engine.domain.amounts`` (the one money format of messages, console, reports and
charts), and every piece of user or exchange text is HTML-escaped.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from decimal import Decimal

from engine.domain import amounts
from engine.domain.amounts import group, quote_of, sig

__all__ = ["esc", "group", "money", "pct", "pnl", "price", "qty", "quote_of", "sig", "when", "split_text"]

_SIG_PRICE = 6


def esc(value: object) -> str:
    """HTML-escape anything before it goes into a message with parse_mode=HTML."""
    return html.escape(str(value), quote=False)


def price(value: Decimal | None) -> str:
    """A price with significant digits: 0.098123, 1.2345, 43,251.5."""
    if value is None:
        return "—"
    value = Decimal(value)
    if abs(value) >= 10**_SIG_PRICE:
        return group(_plain(value.quantize(Decimal("0.01"))))
    return group(_plain(sig(value)))


def money(value: Decimal | None, currency: str = "", signed: bool = False) -> str:
    """An amount rounded for its currency (``engine.domain.amounts``), with the currency when given."""
    return amounts.amount(value, currency, signed)


def pnl(value: Decimal | None, currency: str, base: Decimal | None) -> str:
    """A PnL with its currency and the return on ``base`` beside it: ``+12.35 USDT (+1.23%)``."""
    return amounts.pnl(value, currency, base)


def _plain(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def qty(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return group(_plain(sig(Decimal(value), 8)))


def pct(value: Decimal | float | None, signed: bool = True, places: int = 2) -> str:
    return amounts.pct(value, signed, places)


def share(value: Decimal) -> str:
    """A share of a quantity (0.5 → 50%)."""
    return _plain((Decimal(value) * 100).quantize(Decimal("0.1"))) + "%"


def change_pct(frm: Decimal, to: Decimal) -> Decimal:
    if frm == 0:
        return Decimal(0)
    return (Decimal(to) - Decimal(frm)) / Decimal(frm) * 100


def when(ts: datetime | None, now: datetime | None = None) -> str:
    """``HH:MM UTC`` when on the same UTC day as ``now``, else ``YYYY-MM-DD HH:MM UTC``."""
    if ts is None:
        return "—"
    ts = ts.astimezone(UTC) if ts.tzinfo else ts.replace(tzinfo=UTC)
    if now is not None and now.astimezone(UTC).date() == ts.date():
        return ts.strftime("%H:%M UTC")
    return ts.strftime("%Y-%m-%d %H:%M UTC")


def split_text(text: str, limit: int = 4096) -> list[str]:
    """Split a message into parts of at most ``limit`` characters, at line breaks when possible.

    A single line longer than ``limit`` is cut hard (the only case where a line is broken).
    """
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = line if not current else current + "\n" + line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return [p for p in parts if p.strip()] or [text[:limit]]


def position_pnl(value: Decimal | None, symbol: str, entry: Decimal, qty: Decimal, leverage: int) -> str:
    """A position's PnL in its settlement currency, with the return on its margin beside it."""
    return amounts.pnl(value, quote_of(symbol), amounts.margin_of(entry, qty, leverage))


def duration(seconds: float) -> tuple[int, int, int]:
    """(days, hours, minutes) of a duration, for the presenters' words."""
    total = max(0, int(seconds)) // 60
    return total // 1440, total % 1440 // 60, total % 60
