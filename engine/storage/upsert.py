"""Insert-or-update many rows of one table in one statement (PostgreSQL and SQLite speak the same
``INSERT … ON CONFLICT DO UPDATE``): a save costs one round trip per table, not a read and a write per row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


async def upsert(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Write ``rows`` (complete, keyed by the table's primary key) whatever is there already."""
    if not rows:
        return
    insert = postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert
    keys = [c.name for c in table.primary_key.columns]
    stmt = insert(table).values(list(rows))
    rest = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys and c.name in rows[0]}
    await (await session.connection()).execute(stmt.on_conflict_do_update(index_elements=keys, set_=rest) if rest
                          else stmt.on_conflict_do_nothing(index_elements=keys))
