"""Reading the replay's CSV files: candles (``{BASE}_{QUOTE}-{tf}.csv``), funding rates, market overrides.

Candle files have the header ``timestamp,open,high,low,close,volume`` (timestamp = open time in ms
UTC). Rows are sorted by time on load and a repeated timestamp keeps its last row. Besides the
float arrays we record how many decimals the file's prices use, so replayed prices can be given
back as the exact Decimals written in the file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np

from engine.errors import CsvFormatError

CANDLE_HEADER = ("timestamp", "open", "high", "low", "close", "volume")
FUNDING_HEADER = ("timestamp", "funding_rate")
MAX_PRICE_DECIMALS = 8

_NAME = re.compile(r"^(?P<base>[A-Za-z0-9]+)_(?P<quote>[A-Za-z0-9]+)-(?P<tf>\d+[mhdw])\.csv$")


_ASHARE_BOARDS = {"SH": True, "SZ": True}


@dataclass(frozen=True, slots=True)
class CandleFile:
    """One candle file loaded into arrays (oldest first, unique timestamps)."""

    symbol: str
    timeframe: str
    ts: np.ndarray  # int64 open times, ms UTC
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    price_decimals: int  # most decimals used by any price in the file (capped)


def parse_file_name(name: str) -> tuple[str, str] | None:
    """``ETH_BTC-5m.csv`` → ``("ETH/BTC", "5m")``; None for any other name."""
    m = _NAME.match(name)
    if m is None:
        return None
    base, quote = m["base"].upper(), m["quote"].upper()
    if _ASHARE_BOARDS.get(quote) and base.isdigit() and len(base) == 6:
        return f"{base}.{quote}", m["tf"]  # 600000_SH-5m.csv → 600000.SH (A-shares)
    return f"{base}/{quote}", m["tf"]


def symbol_file_stem(symbol: str) -> str:
    """``ETH/BTC`` → ``ETH_BTC``, ``600000.SH`` → ``600000_SH`` (the stem of candle and funding files)."""
    return symbol.replace("/", "_").replace(".", "_").split(":")[0]


def _decimals(text: str) -> int:
    """Decimals needed to write ``text`` exactly (``0.0994766`` → 7, ``5.288e-05`` → 8)."""
    dot = text.find(".")
    if dot >= 0 and "e" not in text and "E" not in text:
        return len(text) - dot - 1
    try:
        exponent = Decimal(text).as_tuple().exponent
    except InvalidOperation as exc:
        raise CsvFormatError(f"not a number: {text!r}") from exc
    return max(0, -int(exponent)) if isinstance(exponent, int) else 0


def _read_rows(path: Path, header: tuple[str, ...]) -> list[list[str]]:
    with path.open("r", encoding="utf-8") as fh:
        lines = [line.strip() for line in fh if line.strip()]
    if not lines:
        raise CsvFormatError(f"{path.name}: empty file")
    got = tuple(h.strip().lower() for h in lines[0].split(","))
    if got != header:
        raise CsvFormatError(f"{path.name}: header must be {','.join(header)}, got {lines[0]!r}")
    rows = [line.split(",") for line in lines[1:]]
    for i, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise CsvFormatError(f"{path.name}:{i}: expected {len(header)} fields, got {len(row)}")
    return rows


def load_candle_file(path: Path) -> CandleFile:
    """Load one candle CSV; raises CsvFormatError on a bad name, header or value."""
    parsed = parse_file_name(path.name)
    if parsed is None:
        raise CsvFormatError(f"{path.name}: name must look like BASE_QUOTE-5m.csv")
    symbol, timeframe = parsed
    rows = _read_rows(path, CANDLE_HEADER)
    cells = [x for r in rows for x in r]
    try:
        values = np.array(cells, dtype=np.float64).reshape(-1, 6)
    except ValueError as exc:
        raise CsvFormatError(f"{path.name}: {exc}") from exc
    prices = set(cells[1::6]) | set(cells[2::6]) | set(cells[3::6]) | set(cells[4::6])
    decimals = max(map(_decimals, prices), default=0)
    # sort by time; a repeated timestamp keeps the row that came last in the file
    ts = values[:, 0].astype(np.int64)  # ms timestamps are exact in float64 (< 2**53)
    order = np.argsort(ts, kind="stable")
    ts, values = ts[order], values[order]
    if ts.size:
        keep = np.append(ts[1:] != ts[:-1], True)
        ts, values = ts[keep], values[keep]
    o, h, lo, c, v = (np.ascontiguousarray(values[:, i]) for i in range(1, 6))
    for arr in (ts, o, h, lo, c, v):
        arr.flags.writeable = False
    return CandleFile(symbol, timeframe, ts, o, h, lo, c, v, price_decimals=min(decimals, MAX_PRICE_DECIMALS))


def load_funding_file(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """``(ts_ms int64, rate float64)`` sorted by time from a ``timestamp,funding_rate`` CSV."""
    rows = _read_rows(path, FUNDING_HEADER)
    try:
        ts = np.array([int(float(r[0])) for r in rows], dtype=np.int64)
        rate = np.array([float(r[1]) for r in rows], dtype=np.float64)
    except ValueError as exc:
        raise CsvFormatError(f"{path.name}: {exc}") from exc
    order = np.argsort(ts, kind="stable")
    return ts[order], rate[order]


def load_market_overrides(path: Path) -> dict[str, dict[str, object]]:
    """``markets.json``: ``{"ETH/BTC": {"price_step": "0.000001", "max_leverage": 20, ...}}``.

    Keys may be written ``ETH/BTC`` or ``ETH_BTC``; values are strings or numbers.
    """
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CsvFormatError(f"{path.name}: invalid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise CsvFormatError(f"{path.name}: expected an object keyed by symbol")
    out: dict[str, dict[str, object]] = {}
    for key, spec in data.items():
        if not isinstance(spec, dict):
            raise CsvFormatError(f"{path.name}: entry {key!r} must be an object")
        out[str(key).upper().replace("_", "/")] = spec
    return out


def last_candle_time(path: Path) -> int | None:
    """Open time (ms) of the last row of a candle CSV, reading only its tail; None when it has no rows.

    Raises CsvFormatError when the file is not a candle file (another header, or an unreadable last row).
    """
    with path.open("rb") as fh:
        first = fh.readline().decode("utf-8").strip()
        if not first:
            return None
        if tuple(h.strip().lower() for h in first.split(",")) != CANDLE_HEADER:
            raise CsvFormatError(f"{path.name}: header must be {','.join(CANDLE_HEADER)}, got {first!r}")
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 4096))
        tail = [line.strip() for line in fh.read().decode("utf-8", errors="replace").splitlines() if line.strip()]
    last = tail[-1] if tail else ""
    if not last or last == first:
        return None
    try:
        return int(float(last.split(",")[0]))
    except ValueError:
        raise CsvFormatError(f"{path.name}: cannot read the last row {last[:80]!r}") from None
