"""SQLite online backups (the ``sqlite3`` backup API: a consistent copy while the bot writes), their
retention, restore, and the run lock that stops a restore over a running bot. PostgreSQL databases
are backed up with ``pg_dump`` (``PG_RECIPE``); this module refuses them with that recipe.

Backups are ``signalpilot-<db name>-YYYYMMDD-HHMMSS.db`` files in the backup folder; the newest
``keep`` are kept. Every function here is blocking: call it through ``asyncio.to_thread``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url

REQUIRED_TABLES = ("signals", "positions", "orders", "fills", "alembic_version")
PG_RECIPE = ("PostgreSQL is backed up with pg_dump, e.g.\n"
             "  pg_dump --format=custom --file=signalpilot-$(date +%Y%m%d-%H%M%S).dump \"$DATABASE_URL\"\n"
             "and restored (with the bot stopped) with\n"
             "  pg_restore --clean --if-exists --dbname=\"$DATABASE_URL\" FILE.dump\n"
             "(DATABASE_URL without the +asyncpg driver part: postgresql://user:password@host/db)")


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why (and never holds a password)."""


def sqlite_path(url: str) -> Path:
    """The file of a SQLite URL; ``BackupError`` with the pg_dump recipe for PostgreSQL."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        raise BackupError(PG_RECIPE)
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("an in-memory database cannot be backed up")
    return Path(parsed.database)


def _name(db: Path, now: datetime) -> str:
    return f"signalpilot-{db.stem}-{now.strftime('%Y%m%d-%H%M%S')}.db"


def backups(folder: Path, db: Path) -> list[Path]:
    """This database's backups in ``folder``, oldest first."""
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"signalpilot-{db.stem}-*.db"))


def backup(db: Path, folder: Path, now: datetime, keep: int) -> Path:
    """A consistent copy of ``db`` taken while it may be written to; then older copies beyond ``keep``
    are deleted. Returns the new file."""
    if not db.is_file():
        raise BackupError(f"no database file at {db}")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / _name(db, now)
    partial = target.with_suffix(".partial")
    source = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        dest = sqlite3.connect(partial)
        try:
            source.backup(dest, pages=256)  # in steps: writers are never blocked for long
            dest.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            dest.close()
    finally:
        source.close()
    os.replace(partial, target)
    for old in backups(folder, db)[:-keep]:
        old.unlink(missing_ok=True)
    return target


def check(path: Path) -> list[str]:
    """Problems with a database file (empty when it is a sound SignalPilot database)."""
    if not path.is_file():
        return [f"{path} does not exist"]
    with path.open("rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            return [f"{path} is not a SQLite database"]
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        return [f"{path}: {exc}"]
    finally:
        conn.close()
    problems = [] if integrity == "ok" else [f"integrity check: {integrity}"]
    missing = [t for t in REQUIRED_TABLES if t not in tables]
    if missing:
        problems.append(f"not a SignalPilot database (no {', '.join(missing)} table)")
    return problems


def restore(source: Path, db: Path, now: datetime) -> Path | None:
    """Replace ``db`` by the backup ``source`` (checked first); the replaced database is kept beside it
    as ``<name>.before-restore-<time>``, whose path is returned (None when there was none). Refuses
    while a bot runs on ``db`` (``RunLock``)."""
    problems = check(source)
    if problems:
        raise BackupError("; ".join(problems))
    with RunLock(db, purpose="restore"):
        kept = None
        if db.exists():
            kept = db.with_name(f"{db.name}.before-restore-{now.strftime('%Y%m%d-%H%M%S')}")
            os.replace(db, kept)
            for suffix in ("-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
        db.parent.mkdir(parents=True, exist_ok=True)
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            dest = sqlite3.connect(db)
            try:
                src.backup(dest)
            finally:
                dest.close()
        finally:
            src.close()
        return kept


class RunLock:
    """An exclusive lock on ``<db>.lock`` held while a bot runs on the database (``signalpilot run``)
    or while it is restored; a second holder gets ``BackupError`` naming the first one."""

    def __init__(self, db: Path, purpose: str = "run") -> None:
        self.path = Path(f"{db}.lock")
        self.purpose = purpose
        self._handle: IO[str] | None = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise BackupError(f"a bot is running on this database ({holder}); stop it first") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{self.purpose}, pid {os.getpid()}")
        handle.flush()
        self._handle = handle
        return self

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            with contextlib.suppress(OSError):
                self._handle.truncate(0)
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None
