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


def engine_settings(db_url: str, **sections: dict) -> Settings:  # noqa: F821
    """Settings for a paper engine on the bundled sample replay and the given database."""
    from config.settings import Settings

    base: dict = {
        "database": {"url": db_url},
        "market": {"source": "replay", "replay_speed": 0, "replay_warmup": 600},
        "telegram": {"token": None},
    }
    for name, values in sections.items():
        base[name] = {**base.get(name, {}), **values}
    return Settings(_env_file=None, **base)  # type: ignore[call-arg]


@pytest.fixture
async def engine_factory(db_url_factory):  # type: ignore[no-untyped-def]
    """``await engine_factory(db_url=None, **sections)`` → a started paper Engine (no feed, no jobs).

    Pass the same ``db_url`` twice to simulate a restart; every engine is stopped at teardown.
    """
    from engine.facade import Engine

    engines: list[Engine] = []

    async def make(db_url: str | None = None, *, start: bool = True, **sections: dict) -> Engine:
        engine = await Engine.create(engine_settings(db_url or db_url_factory(), **sections))
        if start:
            await engine.start(run_feed=False, run_jobs=False)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        if engine.started:
            await engine.stop()
