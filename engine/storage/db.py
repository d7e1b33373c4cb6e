"""Database connection: async engine and sessions; alembic migrations applied at start.

Failures that will not fix themselves are told apart from transient ones here, in one place
(``classify``): read-only, disk full, I/O error, corrupt file and a database that is gone, on
SQLite (result codes) and PostgreSQL (SQLSTATE, refused connections); a lock or a serialization
conflict is transient. Once ``on_fault`` is set (the engine does it when it has started), such a
failure raises ``StorageUnavailable`` (still an ``OperationalError``) and calls ``on_fault`` once.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, ExceptionContext
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from engine.domain.events import StorageFault
from engine.redaction import redact
from engine.storage.quiet_alembic import Config, command
from engine.storage.sqlite_writer import SqliteWriter

log = logging.getLogger("engine.storage")

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

FaultHandler = Callable[[StorageFault, str], None]

# SQLite primary result codes (https://sqlite.org/rescode.html); BUSY (5) and LOCKED (6) are transient
_SQLITE = {3: StorageFault.READ_ONLY, 8: StorageFault.READ_ONLY, 10: StorageFault.IO_ERROR,
           11: StorageFault.CORRUPT, 13: StorageFault.DISK_FULL, 14: StorageFault.GONE, 26: StorageFault.CORRUPT}
# PostgreSQL SQLSTATE codes; serialization failures, deadlocks and lock timeouts (40xxx, 55P03) are transient
_POSTGRES = {"25006": StorageFault.READ_ONLY, "53100": StorageFault.DISK_FULL, "58030": StorageFault.IO_ERROR,
             "XX001": StorageFault.CORRUPT, "XX002": StorageFault.CORRUPT, "3D000": StorageFault.GONE,
             "28000": StorageFault.GONE, "28P01": StorageFault.GONE}
# a server that refuses connections, a host that no longer resolves, a unix socket that is gone
_GONE_ON_CONNECT = (ConnectionRefusedError, socket.gaierror, FileNotFoundError)


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__


def classify(exc: BaseException, *, connecting: bool = False) -> StorageFault | None:
    """The fault behind a database error when it will not fix itself; None when it may (a lock,
    a dropped connection that a reconnect can cure, anything unknown)."""
    for e in _chain(exc):
        if isinstance(e, StorageUnavailable):
            return e.fault
        code = getattr(e, "sqlite_errorcode", None)
        if isinstance(code, int):
            return _SQLITE.get(code & 0xFF)
        state = getattr(e, "sqlstate", None) or getattr(e, "pgcode", None)
        if isinstance(state, str) and len(state) == 5:
            return _POSTGRES.get(state)
        if connecting and isinstance(e, _GONE_ON_CONNECT):
            return StorageFault.GONE
    return None


def _detail(exc: BaseException) -> str:
    """The driver's own message (never the SQL or its parameters), secrets masked, one line."""
    for e in _chain(exc):
        if not isinstance(e, OperationalError) and str(e):
            return redact(" ".join(str(e).split()))[:300]
    return type(exc).__name__


class StorageUnavailable(OperationalError):
    """The database stopped taking writes (or answering) for a reason that will not fix itself.
    ``quiet``: reported once as a ``StorageFailed`` event, so loggers keep it to one line."""

    quiet = True

    def __init__(self, fault: StorageFault, detail: str, orig: BaseException | None = None) -> None:
        # no driver error behind it when ``orig`` is not an Exception: SQLAlchemy takes None there
        super().__init__(None, None, orig if isinstance(orig, Exception) else None)  # type: ignore[arg-type]
        self.fault = fault
        self.reason = detail  # (``detail`` is SQLAlchemy's own list of notes)

    def __str__(self) -> str:
        return f"database {self.fault.value.replace('_', ' ')}: {self.reason}"

    def __reduce__(self) -> Any:
        return (StorageUnavailable, (self.fault, self.reason))


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
        event.listen(self.engine.sync_engine, "handle_error", self._on_error)
        event.listen(self.engine.sync_engine, "do_connect", self._on_connect)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False, class_=AsyncSession)
        # SQLite: lifecycle steps are written on a plain sqlite3 connection in the event loop's thread
        # (engine/storage/sqlite_writer.py) instead of round trips through aiosqlite's thread
        self.writer: SqliteWriter | None = None
        if url.startswith("sqlite+aiosqlite") and ":memory:" not in url:
            self.writer = SqliteWriter(url)  # (its failures are reported by ``failure``)
        self.on_fault: FaultHandler | None = None  # set by the engine once it has started
        self.fault: StorageFault | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> AsyncSession:
        return self._sessions()

    # --- failures that will not fix themselves ---------------------------------------------
    def _report(self, fault: StorageFault, exc: BaseException) -> StorageUnavailable:
        failure = StorageUnavailable(fault, _detail(exc), exc)
        if self.fault is None:
            self.fault = fault
            log.error("%s", failure)
            if self.on_fault is not None:
                self.on_fault(fault, failure.reason)
        return failure

    def failure(self, exc: BaseException) -> BaseException | None:
        """What a failure of the writer means, reported in the event loop's thread as any other
        storage failure is: a ``StorageUnavailable``, or None."""
        if self.on_fault is None:
            return None
        fault = classify(exc, connecting=False)
        return None if fault is None else self._report(fault, exc)

    def _on_error(self, ctx: ExceptionContext) -> BaseException | None:
        if self.on_fault is None or ctx.is_pre_ping:
            return None
        fault = classify(ctx.original_exception)
        return None if fault is None else self._report(fault, ctx.original_exception)

    def _on_connect(self, dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        if self.on_fault is None:
            return None  # SQLAlchemy connects as usual
        try:
            return dialect.connect(*cargs, **cparams)
        except Exception as exc:
            fault = classify(exc, connecting=True)
            if fault is None:
                raise
            raise self._report(fault, exc) from exc

    # --- schema ----------------------------------------------------------------------------
    async def migrate(self) -> None:
        """Bring the schema to the newest revision (idempotent)."""
        if self.dialect != "sqlite":
            async with self.engine.begin() as conn:
                await conn.run_sync(_upgrade)
        else:
            # pysqlite commits DDL on its own: a separate engine with explicit BEGIN/COMMIT makes the
            # migration all or nothing, so a kill half-way never leaves a database that cannot start
            engine = create_async_engine(self.url)
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)  # the file is in WAL mode from the start
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
        if self.writer is not None:
            self.writer.close()


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
