"""Insert-or-update many rows of one table in one statement (PostgreSQL and SQLite speak the same
``INSERT … ON CONFLICT DO UPDATE``): a save costs one round trip per table, not a read and a write
per row. The statement is built once per table and dialect, so SQLAlchemy compiles it once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import Insert

_STATEMENTS: dict[tuple[str, str], Insert] = {}


def upsert_statement(dialect: str, table: Table) -> Insert:
    """``INSERT … ON CONFLICT (primary key) DO UPDATE`` every other column; execute it with rows."""
    stmt = _STATEMENTS.get((dialect, table.name))
    if stmt is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        keys = [c.name for c in table.primary_key.columns]
        base = insert(table)
        rest = {c.name: base.excluded[c.name] for c in table.columns if c.name not in keys}
        stmt = base.on_conflict_do_update(index_elements=keys, set_=rest) if rest \
            else base.on_conflict_do_nothing(index_elements=keys)
        _STATEMENTS[(dialect, table.name)] = stmt
    return stmt


async def upsert(conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Write ``rows`` (each with every column of ``table``) whatever is there already."""
    if rows:
        await conn.execute(upsert_statement(conn.dialect.name, table), list(rows))
