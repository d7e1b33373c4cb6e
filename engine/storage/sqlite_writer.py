"""SQLite's writer: a lifecycle step's statements in one transaction on a plain sqlite3 connection,
executed right in the event loop's thread.

A small commit in WAL mode at ``synchronous=NORMAL`` writes a few pages to the WAL file and syncs
nothing: tens of microseconds, less than handing the step to a worker thread and waking up again.
When ``run_here`` returns the transaction is in the WAL file (the operating system's cache): a
killed process loses nothing; a power cut may lose the last steps (``synchronous=NORMAL``'s trade).

- Each statement is compiled once per set of columns with SQLAlchemy's SQLite dialect and executed
  through the DB-API (``executemany``), its values converted by SQLAlchemy's own bind processors:
  the same SQL and the same stored values as through a SQLAlchemy connection, without its per-call
  work.
- The event loop never blocks on a lock: ``BEGIN IMMEDIATE`` with ``busy_timeout=0``. When another
  connection holds the write lock (the async engine's, whose transaction needs the event loop to
  finish; a checkpoint; another process), ``run`` tries again after a millisecond, the loop free
  meanwhile, then every ten, for up to ``WAIT_S`` (then "database is locked", as a busy timeout
  says it) — no worker thread, and no sleep of SQLite's busy handler (1, 2, 5, 10… ms) either.
- Checkpoints never land on a step: automatic checkpoints are off on both connections; every
  ``CHECKPOINT_EVERY`` commits a background thread runs a PASSIVE checkpoint (which never blocks a
  writer) on a connection of its own, so the checkpoint's fsyncs happen off the event loop. The
  WAL starts over at the first step after a checkpoint that found no step committed meanwhile;
  when steps never pause (a replay, a benchmark) and the WAL passes ``WAL_LIMIT``, the thread
  waits for a pause (``QUIET_S``, at most ``QUIET_WAIT_S``) and runs a RESTART checkpoint, which
  holds the steps back (they try again) for the few frames written since.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

log = logging.getLogger("engine.storage")

Statement = tuple[Executable, list[dict[str, Any]] | None]  # a statement and its rows (None: none)

CHECKPOINT_EVERY = 32  # commits between two background checkpoints (a step writes a few dozen pages)
WAL_LIMIT = 64 * 2**20  # bytes of WAL past which the background thread makes it start over
QUIET_S = 0.002  # ... once no step has been committed for this long
QUIET_WAIT_S = 0.1  # ... or after waiting this long for such a pause
WAIT_S = 5.0  # how long a step waits for a lock held elsewhere (as busy_timeout=5000 elsewhere)
_RETRY_FAST = 0.001, 0.02  # try again every millisecond for the first 20 ms ...
_RETRY_SLOW = 0.01  # ... then every 10 ms
_BUSY = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED: someone else holds the lock
_DIALECT = SQLiteDialect_pysqlite()
_CACHE_SIZE = 256


class _Compiled:
    """A statement's SQL for one set of columns, the order of its values and their converters."""

    __slots__ = ("sql", "names", "convert", "own")

    def __init__(self, stmt: Executable, keys: tuple[str, ...] | None) -> None:
        """``keys``: the columns of the rows it is executed with; None: with its own values."""
        compiled = cast(SQLCompiler, cast(ClauseElement, stmt).compile(dialect=_DIALECT, column_keys=list(keys or ())))
        if "POSTCOMPILE" in compiled.string:
            raise TypeError("the SQLite writer takes rows of plain values, not expanding IN lists")
        names = tuple(compiled.positiontup or ())
        missing = set(names) - set(keys or ())
        if keys is not None and missing:
            raise TypeError(f"values missing from the rows: {sorted(missing)}")
        self.sql = compiled.string
        self.names = names
        self.convert: tuple[Callable[[Any], Any] | None, ...] = tuple(
            _converter(compiled.binds[n].type) for n in names)
        self.own: dict[str, Any] = dict(compiled.construct_params() or {}) if keys is None else {}

    def values(self, row: dict[str, Any]) -> list[Any]:
        return [row[n] if c is None else c(row[n]) for n, c in zip(self.names, self.convert, strict=True)]


def _converter(type_: Any) -> Callable[[Any], Any] | None:
    """SQLAlchemy's bind processor of ``type_`` on SQLite, or the type's own one-call equivalent
    (``sqlite_value``: engine/storage/types.py)."""
    fast = getattr(type_, "sqlite_value", None)
    return fast if fast is not None else type_.dialect_impl(_DIALECT).bind_processor(_DIALECT)


_compiled: dict[tuple[Executable, frozenset[str]], _Compiled] = {}


def prepare(stmt: Executable, keys: Iterable[str]) -> None:
    """Compile ``stmt`` for rows with these columns now (at start) rather than at its first step."""
    _compile(stmt, frozenset(keys))


def compiled_statements() -> int:
    """How many (statement, columns) shapes are compiled in this process."""
    return len(_compiled)


def _compile(stmt: Executable, keys: frozenset[str]) -> _Compiled:
    found = _compiled.get((stmt, keys))
    if found is None:
        found = _Compiled(stmt, tuple(sorted(keys)))
        if len(_compiled) >= _CACHE_SIZE:  # statements are built once (module level): this never fills
            _compiled.clear()
        _compiled[(stmt, keys)] = found
    return found


def _busy(exc: BaseException) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.OperationalError) and isinstance(code, int) and (code & 0xFF) in _BUSY


def _wrapped(exc: sqlite3.Error, sql: str | None) -> StatementError:
    """The driver's error as SQLAlchemy gives it (``OperationalError``, ``IntegrityError``…), as
    callers of the async engine see it; the values written are left out."""
    return DBAPIError.instance(sql, None, exc, sqlite3.Error, hide_parameters=True)


class Busy(Exception):
    """The write lock is held elsewhere (or the connection is in use by another thread)."""


class SqliteWriter:
    """The writing connections of one SQLite file (see the module's docstring)."""

    def __init__(self, url: str) -> None:
        cargs, cparams = _DIALECT.create_connect_args(make_url(url.replace("+aiosqlite", "+pysqlite", 1)))
        self._cargs = cargs
        self._cparams = {**cparams, "isolation_level": None, "check_same_thread": False}
        self._here: sqlite3.Connection | None = None  # never waits for a lock
        self._here_lock = threading.Lock()  # (a step from another thread's event loop tries again)
        self._commits = 0
        self.waited = 0  # steps that found the lock held elsewhere and tried again
        self._last_commit = time.monotonic()
        self._checkpoints = _Checkpointer(self._connect, lambda: self._last_commit)

    def _connect(self, wait_ms: int) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(*self._cargs, **self._cparams)  # type: ignore[call-overload]
        except sqlite3.Error as exc:
            raise _wrapped(exc, None) from exc
        try:
            conn.execute(f"PRAGMA busy_timeout={int(wait_ms)}")
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":  # (set once, kept by the file)
                try:
                    conn.execute("PRAGMA journal_mode=WAL")
                except sqlite3.OperationalError as exc:
                    if not _busy(exc):
                        raise  # (busy: another connection switches it; transactions work either way)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA wal_autocheckpoint=0")  # checkpoints run in the background
            conn.execute(f"PRAGMA journal_size_limit={WAL_LIMIT}")  # the file's size when the WAL starts over
        except BaseException as exc:
            conn.close()
            if isinstance(exc, sqlite3.Error):
                if _busy(exc):
                    raise Busy() from exc
                raise _wrapped(exc, None) from exc
            raise
        return conn

    # --- executing a step ------------------------------------------------------------------------
    async def run(self, statements: Sequence[Statement]) -> None:
        """Execute ``statements`` in one transaction, in this thread; while the write lock is held
        elsewhere, try again with the event loop free meanwhile (see the module's docstring)."""
        start = None
        while True:
            try:
                self.run_here(statements)
                return
            except Busy as busy:
                now = time.monotonic()
                if start is None:
                    start = now
                    self.waited += 1
                if now - start >= WAIT_S:
                    locked = busy.__cause__ if isinstance(busy.__cause__, sqlite3.Error) \
                        else sqlite3.OperationalError("database is locked")
                    raise _wrapped(locked, "BEGIN IMMEDIATE") from busy
                await asyncio.sleep(_RETRY_FAST[0] if now - start < _RETRY_FAST[1] else _RETRY_SLOW)

    def run_here(self, statements: Sequence[Statement]) -> None:
        """Execute ``statements`` in one transaction without waiting: ``Busy`` (nothing written)
        when the write lock is held elsewhere or the connection is in use by another thread."""
        if not self._here_lock.acquire(blocking=False):
            raise Busy()
        try:
            if self._here is None:
                self._here = self._connect(0)
            self._execute(self._here, statements)
        finally:
            self._here_lock.release()

    def _execute(self, conn: sqlite3.Connection, statements: Sequence[Statement]) -> None:
        """One transaction; a lock held elsewhere raises ``Busy`` (nothing written)."""
        sql = "BEGIN IMMEDIATE"
        try:
            conn.execute(sql)
            for stmt, rows in statements:
                if rows:
                    compiled = _compile(stmt, frozenset(rows[0]))
                    sql = compiled.sql
                    conn.executemany(sql, [compiled.values(r) for r in rows])
                elif rows is None:  # a statement with its own values: compiled each time
                    compiled = _Compiled(stmt, None)
                    sql = compiled.sql
                    conn.execute(sql, compiled.values(compiled.own))
            sql = "COMMIT"
            conn.execute(sql)
        except BaseException as exc:
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # the failure that matters is ``exc``
            if isinstance(exc, sqlite3.Error):
                if _busy(exc):
                    raise Busy() from exc
                raise _wrapped(exc, sql) from exc
            raise
        self._commits += 1
        self._last_commit = time.monotonic()
        if self._commits % CHECKPOINT_EVERY == 0:
            self._checkpoints.request()

    # --- the end ---------------------------------------------------------------------------------
    @property
    def checkpoints(self) -> tuple[int, int]:
        """Background checkpoints run so far: (PASSIVE, RESTART)."""
        return self._checkpoints.done, self._checkpoints.restarts

    def close(self) -> None:
        """Run the checkpoint asked for, if any, and close the connections."""
        self._checkpoints.stop()
        with self._here_lock:
            if self._here is not None:
                self._here.close()
                self._here = None


class _Checkpointer:
    """A daemon thread running checkpoints on its own connection when asked (see the module's
    docstring); one asked for and not run yet when it is stopped still runs."""

    def __init__(self, connect: Callable[[int], sqlite3.Connection], last_commit: Callable[[], float]) -> None:
        self._connect = connect
        self._last_commit = last_commit
        self._wake = threading.Event()
        self._asked = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.done = 0  # PASSIVE checkpoints run
        self.restarts = 0  # RESTART checkpoints run

    def request(self) -> None:
        with self._lock:
            if self._stopping:
                return
            self._asked = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="sqlite-checkpoint", daemon=True)
                self._thread.start()
        self._wake.set()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join()

    def _loop(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                with self._lock:
                    asked, self._asked = self._asked, False
                    stopping = self._stopping
                if asked:
                    try:
                        if conn is None:
                            conn = self._connect(int(QUIET_WAIT_S * 1000))
                        self._checkpoint(conn, stopping)
                    except Exception as exc:  # a step's own commit tells what matters
                        log.debug("background checkpoint failed: %s", exc)
                        if conn is not None:
                            conn.close()
                            conn = None
                if stopping:
                    return
        finally:
            if conn is not None:
                conn.close()

    def _checkpoint(self, conn: sqlite3.Connection, stopping: bool) -> None:
        _busy, frames, _done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self.done += 1
        if frames * conn.execute("PRAGMA page_size").fetchone()[0] <= WAL_LIMIT:
            return
        deadline = time.monotonic() + QUIET_WAIT_S
        while not stopping and time.monotonic() < deadline and time.monotonic() - self._last_commit() < QUIET_S:
            time.sleep(QUIET_S / 2)
        conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
        self.restarts += 1
