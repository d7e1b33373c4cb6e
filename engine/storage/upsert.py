"""Writing many rows cheaply: insert-or-update many rows of one table in one statement (PostgreSQL
and SQLite speak the same ``INSERT … ON CONFLICT DO UPDATE``; built once per table and dialect, so
SQLAlchemy compiles it once), and ``run`` — a list of such statements in one transaction: on SQLite
right in the event loop's thread (``Database.writer``, engine/storage/sqlite_writer.py), else on
one async connection."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from engine.storage.db import Database
from engine.storage.sqlite_writer import Statement

__all__ = ["Statement", "dialect_of", "run", "upsert", "upsert_statement"]

_STATEMENTS: dict[tuple[str, str, tuple[str, ...]], Insert] = {}


def upsert_statement(dialect: str, table: Table, fixed: tuple[str, ...] = ()) -> Insert:
    """``INSERT … ON CONFLICT (primary key) DO UPDATE`` every other column but ``fixed`` (columns that
    never change once the row exists); execute it with rows."""
    stmt = _STATEMENTS.get((dialect, table.name, fixed))
    if stmt is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        keys = [c.name for c in table.primary_key.columns]
        base = insert(table)
        rest = {c.name: base.excluded[c.name] for c in table.columns if c.name not in keys and c.name not in fixed}
        stmt = base.on_conflict_do_update(index_elements=keys, set_=rest) if rest \
            else base.on_conflict_do_nothing(index_elements=keys)
        _STATEMENTS[(dialect, table.name, fixed)] = stmt
    return stmt


def upsert(dialect: str, table: Table, rows: Sequence[dict[str, Any]], fixed: tuple[str, ...] = ()) -> list[Statement]:
    """The statement writing ``rows`` (each with every column of ``table``) whatever is there already.
    ``fixed``: columns written when the row is inserted and left alone after — an indexed column that
    is updated costs a write of its index's page even when its value is the same (SQLite)."""
    return [(upsert_statement(dialect, table, fixed), list(rows))] if rows else []


def dialect_of(db: Database) -> str:
    return "sqlite" if db.writer is not None else db.dialect


async def run(db: Database, statements: Sequence[Statement]) -> None:
    """Execute ``statements`` in order in one transaction."""
    if not statements:
        return
    writer = db.writer
    if writer is not None:
        try:
            await writer.run(statements)
        except Exception as exc:
            failure = db.failure(exc)
            if failure is not None:
                raise failure from exc
            raise
        return
    async with db.engine.begin() as conn:
        for stmt, rows in statements:
            await (conn.execute(stmt, rows) if rows is not None else conn.execute(stmt))
