"""Free-text signals as signal channels write them, in English and Chinese, with or without emojis:

    #BTC/USDT LONG  Entry: 64000-64500  Targets: 65000 66000 67000  Stop: 63000  Leverage: 10x
    BTCUSDT short entry 64k sl 65k tp 63k 62k
    ETH 做空 入场 3200 止损 3300 止盈 3100 / 3000 杠杆 20倍

The text is cut at its labels (entry, stop, targets, leverage); each label's numbers are the ones up to
the next label. Symbol, side and stop must be there: a missing or contradictory field is reported by
name (``ParseFailure``) and nothing is guessed. An entry range keeps both ends (``entry_range``) and
``entry`` is its middle; no entry means the market price. Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from engine.domain.values import Side
from engine.intake.model import ExternalSignal, ParseFailure, ParseResult
from engine.intake.words import NUMBER, A, Z, find_symbol, numbers, side_of

MAX_TARGETS = 10
_INDEX = r"(?:\s*\d(?![\d.,kK]))?"  # "TP1", "Target 2", "止盈1" — but not the 6 of "tp 63k"
LABELS = [
    ("stop", re.compile(A + r"(?:stop[\s\-_]*loss|stoploss|stop|sl)(?:\s+targets?)?" + Z + r"|止损|止損|🛑|⛔", re.I)),
    ("targets", re.compile(
        A + r"(?:take[\s\-_]*profits?|targets?|tgts?|tps?)" + _INDEX + Z + r"|(?:止盈|目标|目標|🎯)" + _INDEX, re.I)),
    ("entry", re.compile(
        A + r"(?:entry[\s\-_]*(?:zone|price|range|area)?|entries|enter|open|(?:buy|sell)[\s\-_]*"
        r"(?:zone|range|area))(?:\s+targets?)?" + _INDEX + Z + r"|(?:入场价?|入場價?|进场|進場|开仓价?|開倉價?|挂单|掛單|@|📍)" + _INDEX,
        re.I)),
    ("leverage", re.compile(A + r"(?:leverage|lev)" + Z + r"|杠杆|槓桿", re.I)),
]
_LEVERAGE = re.compile(r"(?<![\w.])(\d{1,3})\s*(?:[xX×](?![A-Za-z0-9])|倍)|" + A + r"[xX×](\d{1,3})" + Z)
_PERCENT = re.compile(r"\(?[+\-]?\d+(?:[.,]\d+)?\s*%\)?")
_ENUM = re.compile(r"(?m)^\s*\d{1,2}\s*[).:\-]\s+|\d\ufe0f?\u20e3")
_RANGE = re.compile(r"(" + NUMBER.pattern + r")\s*(?:-|~|–|—|to|至|到|/)\s*(" + NUMBER.pattern + r")", re.I)


def _blank(text: str, span: tuple[int, int]) -> str:
    return text[:span[0]] + " " * (span[1] - span[0]) + text[span[1]:]


def normalise(text: str) -> str:
    """Full-width forms to ASCII (NFKC: ``：`` → ``:``), keycap digits and list numbers removed."""
    text = unicodedata.normalize("NFKC", text).replace("\ufe0f", "")
    return _ENUM.sub(lambda m: " " * len(m.group(0)), text)


def _regions(text: str) -> dict[str, list[str]]:
    found = sorted(((m.start(), -m.end(), kind) for kind, pattern in LABELS for m in pattern.finditer(text)))
    marks: list[tuple[int, int, str]] = []
    for start, neg_end, kind in found:  # leftmost first, the longest of those starting together
        if not marks or start >= marks[-1][1]:
            marks.append((start, -neg_end, kind))
    regions: dict[str, list[str]] = {}
    for i, (_, end, kind) in enumerate(marks):
        stop = marks[i + 1][0] if i + 1 < len(marks) else len(text)
        regions.setdefault(kind, []).append(text[end:stop])
    return regions


def _entry(parts: list[str]) -> tuple[Decimal | None, tuple[Decimal, Decimal] | None]:
    joined = " ".join(parts)
    found = _RANGE.search(joined)
    if found is not None:
        low, high = numbers(found.group(1)), numbers(found.group(4))
        if low and high:
            pair = (min(low[0], high[0]), max(low[0], high[0]))
            return (pair[0] + pair[1]) / 2, pair
    values = numbers(joined)
    if len(values) >= 2:  # several entries (DCA): the range they span
        pair = (min(values), max(values))
        return (pair[0] + pair[1]) / 2, pair
    return (values[0], None) if values else (None, None)


def parse_text(text: str) -> ParseResult:
    """A free-text message → ``ExternalSignal``, or ``ParseFailure`` naming the missing field."""
    work = normalise(text)
    if not work.strip():
        return ParseFailure("body")
    leverage: int | None = None
    for match in _LEVERAGE.finditer(work):
        leverage = leverage or int(match.group(1) or match.group(2))
        work = _blank(work, match.span())
    found = find_symbol(work)
    if found is None:
        return ParseFailure("symbol")
    symbol, span = found
    work = _blank(work, span)
    side = side_of(work)
    if side is None:
        return ParseFailure("side")
    if side == "ambiguous":
        return ParseFailure("side", "both long and short")
    assert isinstance(side, Side)
    work = _PERCENT.sub(lambda m: " " * len(m.group(0)), work)
    regions = _regions(work)
    if leverage is None and regions.get("leverage"):
        values = numbers(" ".join(regions["leverage"]))
        leverage = int(values[0]) if values and values[0] == int(values[0]) else None
    if leverage is not None and not 1 <= leverage <= 125:
        return ParseFailure("leverage", str(leverage))
    entry, entry_range = _entry(regions.get("entry", []))
    stops = numbers(" ".join(regions.get("stop", [])))
    if not stops:
        return ParseFailure("stop")
    stop = stops[0]
    targets = tuple(dict.fromkeys(v for part in regions.get("targets", []) for v in numbers(part)))
    if len(targets) > MAX_TARGETS:
        return ParseFailure("targets", f"more than {MAX_TARGETS}")
    problem = check_levels(side, entry, entry_range, stop, targets)
    if problem is not None:
        return problem
    return ExternalSignal(symbol=symbol, side=side, entry=entry, entry_range=entry_range, stop=stop,
                          targets=targets, leverage=leverage)


def check_levels(side: Side, entry: Decimal | None, entry_range: tuple[Decimal, Decimal] | None,
                 stop: Decimal | None, targets: tuple[Decimal, ...]) -> ParseFailure | None:
    """Levels on the wrong side of each other (a long's stop above its entry, …) are refused."""
    sign = side.sign
    low, high = entry_range or (entry, entry)
    near = low if side is Side.LONG else high  # the entry end closest to the stop
    far = high if side is Side.LONG else low
    if stop is not None and near is not None and (near - stop) * sign <= 0:
        return ParseFailure("stop", "on the wrong side of the entry")
    if stop is not None and any((t - stop) * sign <= 0 for t in targets):
        return ParseFailure("targets", "on the wrong side of the stop")
    if far is not None and any((t - far) * sign <= 0 for t in targets):
        return ParseFailure("targets", "on the wrong side of the entry")
    return None
