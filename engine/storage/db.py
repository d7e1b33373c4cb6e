"""Database connection: async engine and sessions; alembic migrations applied at start."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

log = logging.getLogger("engine.storage")

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class Database:
    """One async engine per process; ``session()`` gives a short-lived AsyncSession."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite") and ":memory:" not in url:
            path = url.split("///", 1)[-1]
            if path:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.engine: AsyncEngine = create_async_engine(url, pool_pre_ping=not url.startswith("sqlite"))
        if url.startswith("sqlite"):
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False, class_=AsyncSession)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> AsyncSession:
        return self._sessions()

    async def migrate(self) -> None:
        """Bring the schema to the newest revision (idempotent)."""
        if self.dialect != "sqlite":
            async with self.engine.begin() as conn:
                await conn.run_sync(_upgrade)
        else:
            # pysqlite commits DDL on its own: a separate engine with explicit BEGIN/COMMIT makes the
            # migration all or nothing, so a kill half-way never leaves a database that cannot start
            engine = create_async_engine(self.url)
            event.listen(engine.sync_engine, "connect", _sqlite_explicit_transactions)
            event.listen(engine.sync_engine, "begin", _sqlite_begin)
            try:
                async with engine.begin() as conn:
                    await conn.run_sync(_upgrade)
            finally:
                await engine.dispose()
        log.info("database ready (%s)", self.dialect)

    async def close(self) -> None:
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _sqlite_explicit_transactions(dbapi_conn: object, _record: object) -> None:
    dbapi_conn.isolation_level = None  # type: ignore[attr-defined]


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN")


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")
