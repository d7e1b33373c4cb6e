"""What a symbol says about its market, for every layer (front ends included): A-shares are
``600000.SH`` / ``000001.SZ``, traded in shares and CNY, long only, T+1."""

from __future__ import annotations

from zoneinfo import ZoneInfo

ASHARE_CURRENCY = "CNY"
SHANGHAI = ZoneInfo("Asia/Shanghai")  # the exchanges' time zone


def is_ashare_symbol(symbol: str) -> bool:
    code, _, board = symbol.partition(".")
    return len(code) == 6 and code.isdigit() and board.upper() in ("SH", "SZ")
