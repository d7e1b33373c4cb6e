"""Number, time and HTML formatting shared by the presenters (no translation here).

Prices keep significant digits (a BTC-quoted price of 0.098123 stays readable), money is
rounded to a sensible precision, and every piece of user or exchange text is HTML-escaped.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal

_SIG_PRICE = 6


def esc(value: object) -> str:
    """HTML-escape anything before it goes into a message with parse_mode=HTML."""
    return html.escape(str(value), quote=False)


def _plain(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _group(text: str) -> str:
    """Thousands separators on the integer part of a plain decimal string."""
    sign = "-" if text.startswith("-") else ""
    body = text.lstrip("-")
    whole, _, frac = body.partition(".")
    whole = f"{int(whole):,}" if whole else "0"
    return sign + whole + ("." + frac if frac else "")


def sig(value: Decimal, digits: int = _SIG_PRICE) -> Decimal:
    """``value`` rounded to ``digits`` significant digits."""
    if value == 0:
        return Decimal(0)
    exp = value.adjusted() - digits + 1
    return value.quantize(Decimal(1).scaleb(exp), rounding=ROUND_HALF_EVEN)


def price(value: Decimal | None) -> str:
    """A price with significant digits: 0.098123, 1.2345, 43,251.5."""
    if value is None:
        return "—"
    value = Decimal(value)
    if abs(value) >= 10**_SIG_PRICE:
        return _group(_plain(value.quantize(Decimal("0.01"))))
    return _group(_plain(sig(value)))


def money(value: Decimal | None, signed: bool = False) -> str:
    """An amount of quote currency: 2 decimals from 1,000 up, else 6 significant digits with at
    least 2 decimals (1 BTC of equity shows as 1.01235, not 1.01)."""
    if value is None:
        return "—"
    value = Decimal(value)
    if abs(value) >= 1000 or value == 0:
        text = format(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN), "f")
    else:
        text = _plain(sig(value, 6))
        whole, _, frac = text.partition(".")
        text = whole + "." + frac.ljust(2, "0")
    text = _group(text)
    if text.lstrip("-") in ("0.00", "0"):
        text = "0.00"
    if signed and not text.startswith("-"):
        text = "+" + text
    return text


def qty(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return _group(_plain(sig(Decimal(value), 8)))


def pct(value: Decimal | float | None, signed: bool = True, places: int = 2) -> str:
    if value is None:
        return "—"
    number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    text = format(number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN), "f")
    if text.startswith("-0") and Decimal(text) == 0:
        text = text[1:]
    if signed and not text.startswith("-"):
        text = "+" + text
    return text + "%"


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
