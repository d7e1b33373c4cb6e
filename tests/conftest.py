"""Shared fixtures: a real database (temporary SQLite file, and PostgreSQL when SP_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from engine.storage.db import Database

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CANDLES_DIR = SHARED_DATA / "candles"
POSTGRES_URL = os.environ.get("SP_TEST_POSTGRES_URL")

_BACKENDS = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])


async def _reset_postgres(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(params=_BACKENDS)
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database on each backend: SQLite file always, PostgreSQL when configured."""
    if request.param == "postgres":
        db = Database(POSTGRES_URL)  # type: ignore[arg-type]
        await _reset_postgres(db)
    else:
        db = Database(sqlite_url(tmp_path))
    await db.migrate()
    yield db
    await db.close()


@pytest.fixture
def db_url_factory(tmp_path: Path):  # type: ignore[no-untyped-def]
    """URLs of fresh databases for tests that build whole engines (restart tests reuse one URL)."""
    counter = iter(range(1000))

    def make() -> str:
        return f"sqlite+aiosqlite:///{tmp_path / f'engine{next(counter)}.db'}"

    return make
