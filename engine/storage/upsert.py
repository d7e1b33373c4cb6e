"""Writing many rows cheaply: insert-or-update many rows of one table in one statement (PostgreSQL
and SQLite speak the same ``INSERT … ON CONFLICT DO UPDATE``; built once per table and dialect, so
SQLAlchemy compiles it once), and ``run`` — a list of such statements in one transaction: on SQLite
in one hand-off to a worker thread (``Database.writer``), else on one async connection."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.dml import Insert

from engine.storage.db import Database

Statement = tuple[Executable, list[dict[str, Any]] | None]  # a statement and its rows (None: none)

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


def upsert(dialect: str, table: Table, rows: Sequence[dict[str, Any]]) -> list[Statement]:
    """The statement writing ``rows`` (each with every column of ``table``) whatever is there already."""
    return [(upsert_statement(dialect, table), list(rows))] if rows else []


def dialect_of(db: Database) -> str:
    return "sqlite" if db.writer is not None else db.dialect


async def run(db: Database, statements: Sequence[Statement]) -> None:
    """Execute ``statements`` in order in one transaction."""
    if not statements:
        return
    if db.writer is not None:
        try:
            await asyncio.to_thread(_run_sync, db, statements)
        except Exception as exc:
            failure = db.failure(exc)
            if failure is not None:
                raise failure from exc
            raise
        return
    async with db.engine.begin() as conn:
        for stmt, rows in statements:
            await (conn.execute(stmt, rows) if rows is not None else conn.execute(stmt))


def _run_sync(db: Database, statements: Sequence[Statement]) -> None:
    assert db.writer is not None
    with db.writer.begin() as conn:
        for stmt, rows in statements:
            if rows is not None:
                conn.execute(stmt, rows)
            else:
                conn.execute(stmt)
