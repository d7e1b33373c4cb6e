"""How money reads, the same everywhere (Telegram messages, the console, reports, chart labels).

An amount always carries its currency and is rounded for it: 2 decimals for dollar-like currencies
(USDT, USD, USDC, …), significant digits for the rest (BTC, ETH, small coins), so ``0.000346794 BTC``
keeps its digits and ``12.3456 USDT`` reads ``12.35 USDT``. A return in % goes beside a PnL.
Standard library only: the engine's charts and reports and the bot's presenters all use it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

DOLLAR_LIKE = frozenset({"USD", "USDT", "USDC", "BUSD", "FDUSD", "TUSD", "DAI", "USDP", "EUR", "CNY", "RUB"})
SIG_DIGITS = 6  # significant digits for an amount of a coin (1.01235 BTC, 0.000346794 BTC)
HUNDRED = Decimal(100)


def quote_of(symbol: str) -> str:
    """The currency a market settles in: ``ETH/BTC:BTC`` → BTC, ``BTC/USDT`` → USDT, else ''."""
    if ":" in symbol:
        return symbol.rsplit(":", 1)[1]
    return symbol.split("/", 1)[1] if "/" in symbol else ""


def _plain(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def group(text: str) -> str:
    """Thousands separators on the integer part of a plain decimal string."""
    sign = "-" if text.startswith("-") else ""
    body = text.lstrip("-")
    whole, _, frac = body.partition(".")
    whole = f"{int(whole):,}" if whole else "0"
    return sign + whole + ("." + frac if frac else "")


def sig(value: Decimal, digits: int = SIG_DIGITS) -> Decimal:
    """``value`` rounded to ``digits`` significant digits."""
    if value == 0:
        return Decimal(0)
    exp = value.adjusted() - digits + 1
    return value.quantize(Decimal(1).scaleb(exp), rounding=ROUND_HALF_EVEN)


def _to_decimal(value: Decimal | float | int) -> Decimal:
    return Decimal(repr(float(value))) if isinstance(value, float) else Decimal(value)


def number(value: Decimal | float | int, currency: str = "", signed: bool = False) -> str:
    """An amount of ``currency`` without its unit (table cells, chart axes): ``1,234.50``, ``0.00123457``."""
    value = _to_decimal(value)
    if not value.is_finite():
        return str(value)
    if currency.upper() in DOLLAR_LIKE or abs(value) >= 1000:
        text = format(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN), "f")
    else:  # significant digits, at least 2 decimals: 1.50 BTC, 0.000346794 BTC
        text = _plain(sig(value))
        whole, _, frac = text.partition(".")
        text = whole + "." + frac.ljust(2, "0")
    text = group(text)
    if text.lstrip("-").strip("0.,") == "":
        text = "0.00"
    if signed and not text.startswith("-"):
        text = "+" + text
    return text


def amount(value: Decimal | float | int | None, currency: str, signed: bool = False) -> str:
    """An amount with its currency: ``12.35 USDT``, ``+0.000346794 BTC``, ``—`` when unknown."""
    if value is None:
        return "—"
    text = number(value, currency, signed)
    return f"{text} {currency}" if currency else text


def pct(value: Decimal | float | None, signed: bool = True, places: int = 2) -> str:
    """A percentage: ``+1.23%``, ``-0.50%``; ``—`` when unknown."""
    if value is None:
        return "—"
    number_ = _to_decimal(value)
    if not number_.is_finite():
        return "—"
    text = format(number_.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN), "f")
    if text.startswith("-") and Decimal(text) == 0:
        text = text[1:]
    if signed and not text.startswith("-"):
        text = "+" + text
    return text + "%"


def ratio_pct(part: Decimal, whole: Decimal | None) -> Decimal | None:
    """``part`` as a percentage of ``whole`` (None when there is no whole to compare with)."""
    if whole is None or whole == 0:
        return None
    return Decimal(part) / Decimal(whole) * HUNDRED


def pnl(value: Decimal | None, currency: str, base: Decimal | None) -> str:
    """A PnL with its currency and, beside it, the return on ``base``: ``+12.35 USDT (+1.23%)``."""
    if value is None:
        return "—"
    share = ratio_pct(value, base)
    text = amount(value, currency, signed=True)
    return f"{text} ({pct(share)})" if share is not None else text


def margin_of(entry: Decimal, qty: Decimal, leverage: int) -> Decimal:
    """The margin a position of ``qty`` at ``entry`` ties up at ``leverage``."""
    return Decimal(entry) * Decimal(qty) / Decimal(max(1, leverage))
