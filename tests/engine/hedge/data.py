"""Replay folders for hedge tests: ``DIR/<venue>/SOL_USDT-1m.csv`` from a list of closes per venue."""

from __future__ import annotations

import json
from pathlib import Path

T0 = 1_700_000_000_000  # 2023-11-14 22:13:20 UTC


def write_venue(root: Path, venue: str, closes: list[float], *, symbol: str = "SOL_USDT", tf: str = "1m",
                qty_step: str = "0.01", min_qty: str = "0.01", min_notional: str = "0") -> Path:
    folder = root / venue
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["timestamp,open,high,low,close,volume"]
    prev = closes[0]
    for i, close in enumerate(closes):
        lines.append(f"{T0 + i * 60_000},{prev:.2f},{max(prev, close):.2f},{min(prev, close):.2f},{close:.2f},1000")
        prev = close
    (folder / f"{symbol}-{tf}.csv").write_text("\n".join(lines) + "\n")
    (folder / "markets.json").write_text(json.dumps({symbol.replace("_", "/"): {
        "qty_step": qty_step, "min_qty": min_qty, "price_step": "0.01", "min_notional": min_notional}}))
    return folder


def rising(n: int = 40, start: float = 100.0, step: float = 0.1) -> list[float]:
    return [start + step * i for i in range(n)]


def flat(n: int = 40, price: float = 100.0) -> list[float]:
    return [price + (0.05 if i % 2 else 0.0) for i in range(n)]
