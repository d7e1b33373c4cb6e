"""TradingView alert bodies → ``ExternalSignal``. Two forms are accepted:

JSON (the alert message is a JSON object)::

    {"symbol": "{{ticker}}", "side": "{{strategy.order.action}}", "entry": {{close}},
     "stop": 63000, "tp1": 65000, "tp2": 66000, "leverage": 10, "comment": "breakout", "id": "{{timenow}}"}

Plain text (the documented template: a side word, the symbol, then ``key=value`` pairs, in any order)::

    long BINANCE:BTCUSDT.P entry=64000 stop=63000 tp1=65000 tp2=66000 leverage=10 id=42

Only ``symbol`` and ``side`` are required; missing levels are planned like a scanner signal's. Any
``tpN`` (tp1, tp2, tp3, …) is a target, in number order. Pure: no I/O.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from engine.intake.model import ExternalSignal, ParseFailure, ParseResult
from engine.intake.text import check_levels
from engine.intake.words import number, side_word, symbol_of

KEYS = {"symbol", "ticker", "side", "action", "entry", "price", "stop", "sl", "leverage", "comment", "id"}
_TP = re.compile(r"^tp(\d{1,2})$")


def parse_body(body: bytes, content_type: str = "") -> ParseResult:
    """The request body of ``POST /hook/tradingview/<secret>``."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return ParseFailure("body", "not UTF-8 text")
    stripped = text.strip()
    if not stripped:
        return ParseFailure("body", "empty")
    if stripped.startswith("{") or "json" in content_type:
        try:
            data = json.loads(stripped, parse_float=str, parse_int=str)
        except json.JSONDecodeError as exc:
            return ParseFailure("body", f"not valid JSON ({exc.msg} at line {exc.lineno})")
        if not isinstance(data, dict):
            return ParseFailure("body", "a JSON object is expected")
        return parse_fields({str(k).lower(): v for k, v in data.items()})
    return parse_plain(stripped)


def parse_plain(text: str) -> ParseResult:
    fields: dict[str, Any] = {}
    for token in text.split():
        key, eq, value = token.partition("=")
        if eq:
            fields[key.strip().lower()] = value.strip()
        elif "side" not in fields and side_word(token) is not None:
            fields["side"] = token
        elif "symbol" not in fields:
            fields["symbol"] = token
        else:
            fields["comment"] = (str(fields.get("comment", "")) + " " + token).strip()
    return parse_fields(fields)


def _price(fields: dict[str, Any], *names: str) -> Decimal | None | ParseFailure:
    for name in names:
        if name in fields and fields[name] not in (None, ""):
            value = number(str(fields[name]))
            if value is None:
                return ParseFailure(names[0], f"not a price: {str(fields[name])[:20]!r}")
            return value
    return None


def parse_fields(fields: dict[str, Any]) -> ParseResult:
    raw_symbol = fields.get("symbol") or fields.get("ticker")
    if not raw_symbol:
        return ParseFailure("symbol")
    symbol = symbol_of(str(raw_symbol))
    if symbol is None:
        return ParseFailure("symbol", f"not a symbol: {str(raw_symbol)[:20]!r}")
    raw_side = fields.get("side") or fields.get("action")
    if not raw_side:
        return ParseFailure("side")
    side = side_word(str(raw_side))
    if side is None:
        return ParseFailure("side", f"not long/short/buy/sell: {str(raw_side)[:20]!r}")
    entry = _price(fields, "entry", "price")
    stop = _price(fields, "stop", "sl")
    targets: list[tuple[int, Decimal]] = []
    for key, value in fields.items():
        found = _TP.match(key)
        if found and value not in (None, ""):
            price = number(str(value))
            if price is None:
                return ParseFailure("targets", f"{key} is not a price")
            targets.append((int(found.group(1)), price))
    for value in (entry, stop):
        if isinstance(value, ParseFailure):
            return value
    assert not isinstance(entry, ParseFailure) and not isinstance(stop, ParseFailure)
    leverage = None
    if fields.get("leverage") not in (None, ""):
        text = str(fields["leverage"]).lower().rstrip("x")
        if not text.isdigit() or not 1 <= int(text) <= 125:
            return ParseFailure("leverage", "a whole number from 1 to 125")
        leverage = int(text)
    levels = tuple(price for _, price in sorted(targets))
    problem = check_levels(side, entry, None, stop, levels)
    if problem is not None:
        return problem
    ext_id = str(fields["id"])[:64] if fields.get("id") not in (None, "") else None
    return ExternalSignal(symbol=symbol, side=side, entry=entry, stop=stop, targets=levels, leverage=leverage,
                          comment=str(fields.get("comment") or "")[:200], ext_id=ext_id)
