"""Closed trades as CSV (``/export`` in Telegram, ``signalpilot export --trades FILE.csv``): one row per
closed position, oldest first, prices and money exactly as stored."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from engine.domain.models import Position
from engine.storage.db import Database
from engine.storage.repository import Repository

COLUMNS = ["position_id", "signal_id", "symbol", "side", "leverage", "opened_at", "closed_at", "qty",
           "entry_price", "exit_price", "initial_stop", "targets_hit", "close_reason", "fees", "realized_pnl"]


def _exit_price(pos: Position) -> Decimal | None:
    qty = sum((e.qty for e in pos.exits), Decimal(0))
    if not qty:
        return None
    return sum((e.price * e.qty for e in pos.exits), Decimal(0)) / qty


def trades_csv(positions: Iterable[Position]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for p in sorted(positions, key=lambda p: (p.closed_at or p.created_at, p.id)):
        exit_price = _exit_price(p)
        writer.writerow([
            p.id, p.signal_id, p.symbol, p.side.value, p.leverage,
            p.opened_at.isoformat() if p.opened_at else "", p.closed_at.isoformat() if p.closed_at else "",
            p.qty, p.entry_price, "" if exit_price is None else f"{exit_price:f}", p.initial_stop, p.targets_hit,
            p.close_reason.value if p.close_reason else "", p.fees, p.realized_pnl,
        ])
    return out.getvalue()


async def closed_trades(repo: Repository) -> str:
    return trades_csv(await repo.closed_positions())


async def export_trades(db_url: str, out: Path) -> int:
    """``signalpilot export --trades FILE.csv``: write the CSV; the number of trades."""
    db = Database(db_url)
    try:
        await db.migrate()
        positions = await Repository(db).closed_positions()
    finally:
        await db.close()
    out.write_text(trades_csv(positions), encoding="utf-8")
    return len(positions)
