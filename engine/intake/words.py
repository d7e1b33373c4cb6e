"""Shared pieces of the outside-signal parsers: numbers as signal channels write them (``64k``,
``64,500``, ``$0.0123``), side words in English and Chinese, and symbols (``#BTC/USDT``,
``BINANCE:BTCUSDT.P``, ``btcusdt``, ``$BTC``)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from engine.domain.values import Side

QUOTES = ("USDT", "USDC", "FDUSD", "BUSD", "USD", "BTC", "ETH")
A = r"(?<![A-Za-z0-9])"  # an ASCII word starts (\b would not split "BTC做多")
Z = r"(?![A-Za-z0-9])"

NUMBER = re.compile(r"(?<![A-Za-z\d.])\$?(\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,])|\d+(?:\.\d+)?|\.\d+)(\s*[kK](?![A-Za-z]))?")

STRONG = {
    Side.LONG: re.compile(A + r"(?:long|longs)" + Z + r"|做多|开多|開多|多单|多單|看多|买涨|買漲", re.I),
    Side.SHORT: re.compile(A + r"(?:short|shorts)" + Z + r"|做空|开空|開空|空单|空單|看空|买跌|買跌", re.I),
}
WEAK = {
    Side.LONG: re.compile(A + r"(?:buy|bullish)" + Z + r"|买入|買入|🟢|📈|⬆", re.I),
    Side.SHORT: re.compile(A + r"(?:sell|bearish)" + Z + r"|卖出|賣出|🔴|📉|⬇", re.I),
}

_PAIR = re.compile(A + r"[#$]?([A-Z0-9]{2,15})\s*[/\-_]\s*(" + "|".join(QUOTES) + r")" + Z, re.I)
_GLUED = re.compile(A + r"[#$]?(?:[A-Z]+:)?([A-Z0-9]{2,15}?)(USDT|USDC|FDUSD|BUSD|BTC|ETH)(?:\.P|PERP)?" + Z, re.I)
_TAGGED = re.compile(r"[#$]([A-Za-z][A-Za-z0-9]{1,14})" + Z)
_BARE = re.compile(A + r"([A-Z][A-Z0-9]{1,9})" + Z)
NOT_SYMBOLS = {
    "LONG", "SHORT", "BUY", "SELL", "SL", "TP", "TP1", "TP2", "TP3", "TP4", "TP5", "ENTRY", "STOP", "LOSS",
    "TARGET", "TARGETS", "LEVERAGE", "LEV", "CROSS", "ISOLATED", "USDT", "USD", "CMP", "PERP", "FUTURES",
    "SPOT", "SIGNAL", "VIP", "ZONE", "NEW", "TAKE", "PROFIT", "DCA", "MARKET", "LIMIT", "NOW", "RISK",
}


def number(text: str) -> Decimal | None:
    """``64k`` → 64000, ``64,500`` → 64500, ``$0.0123`` → 0.0123; None if not a positive number."""
    match = NUMBER.fullmatch(text.strip())
    if match is None:
        return None
    return _value(match)


def _value(match: re.Match[str]) -> Decimal | None:
    try:
        value = Decimal(match.group(1).replace(",", ""))
    except InvalidOperation:
        return None
    if match.group(2):
        value *= 1000
    return value if value > 0 else None


def numbers(text: str) -> list[Decimal]:
    out = []
    for match in NUMBER.finditer(text):
        value = _value(match)
        if value is not None:
            out.append(value)
    return out


def side_of(text: str) -> Side | None | str:
    """The side the text names: strong words (long, 做多) first, then weak ones (buy, 🟢); the string
    ``"ambiguous"`` when both sides are named at the same strength."""
    for table in (STRONG, WEAK):
        found = {side for side, pattern in table.items() if pattern.search(text)}
        if len(found) == 1:
            return found.pop()
        if len(found) == 2:
            return "ambiguous"
    return None


def side_word(word: str) -> Side | None:
    """One word: long/buy → LONG, short/sell → SHORT (TradingView's ``{{strategy.order.action}}``)."""
    w = word.strip().lower()
    if w in ("long", "buy", "做多", "多"):
        return Side.LONG
    if w in ("short", "sell", "做空", "空"):
        return Side.SHORT
    return None


def find_symbol(text: str) -> tuple[str, tuple[int, int]] | None:
    """The first symbol in ``text`` (``BASE/QUOTE`` or a bare ``BASE``) and where it was."""
    for pattern, bare_ok in ((_PAIR, False), (_GLUED, False), (_TAGGED, True), (_BARE, True)):
        for match in pattern.finditer(text):
            base = match.group(1).upper()
            if base in NOT_SYMBOLS or base.isdigit():
                continue
            if pattern is _BARE and not match.group(1).isupper():
                continue
            quote = match.group(2).upper() if not bare_ok else None
            return (f"{base}/{quote}" if quote else base), match.span()
    return None


def symbol_of(text: str) -> str | None:
    """A symbol field (TradingView ``{{ticker}}``): ``BINANCE:BTCUSDT.P`` → ``BTC/USDT``."""
    found = find_symbol(text.strip().upper().rsplit(":", 1)[-1])
    return found[0] if found else None
