"""Database checks before start-up, and start-up errors put into words.

``url_problem`` (the URL, its dialect and an installed async driver) and ``file_problem`` (a SQLite
file or its folder: a database, not corrupted, writable) need no server; ``connect_problem`` opens
a connection. ``describe`` turns an exception raised while opening or migrating into one line
that names ``SP_DATABASE__URL`` and says what to do. The password of a URL is never shown.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import create_async_engine

VAR = "SP_DATABASE__URL"
ASYNC_DRIVERS = "sqlite+aiosqlite:///data/paper.db or postgresql+asyncpg://user:pass@host:5432/db"


def shown(url: str) -> str:
    """The URL with its password hidden (or as given when it does not parse)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparsable>" if "@" in url else url


def url_problem(url: str) -> str | None:
    """None when the URL parses, names a known dialect and an installed async driver."""
    try:
        parsed = make_url(url)
    except sa_exc.ArgumentError:
        return f"{VAR}={url!r} is not a database URL; use e.g. {ASYNC_DRIVERS}"
    try:
        dialect = parsed.get_dialect()
    except sa_exc.NoSuchModuleError:
        return f"{VAR}: unknown database kind {parsed.drivername!r}; use e.g. {ASYNC_DRIVERS}"
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        return (f"{VAR}: the driver for {parsed.drivername!r} is not installed ({exc.name or exc}); "
                f"SignalPilot supports {ASYNC_DRIVERS}")
    if not getattr(dialect, "is_async", False):
        return f"{VAR}: {parsed.drivername!r} is not an async driver; use e.g. {ASYNC_DRIVERS}"
    return None


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory SQLite)."""
    try:
        parsed: URL = make_url(url)
    except sa_exc.ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database or ":memory:" in parsed.database:
        return None
    return Path(parsed.database.removeprefix("file:"))  # ``file:`` with ``?uri=true``


def file_problem(url: str) -> str | None:
    """For SQLite: the file is a sound, writable database, or its folder can be created and written."""
    path = sqlite_path(url)
    if path is None:
        return None
    where = path if path.is_absolute() else Path.cwd() / path
    if make_url(url).query.get("mode") == "ro":
        return f"{VAR}: {where} is opened read-only (mode=ro); SignalPilot writes its state: remove mode=ro"
    if where.exists():
        if where.is_dir():
            return f"{VAR}: {where} is a folder, not a database file"
        if not _file_writable(where) or not _folder_writable(where.parent):
            return (f"{VAR}: {where} is read-only (the file or its folder); make both writable for this user "
                    f"or point {VAR} elsewhere")
        return _sqlite_content_problem(where)
    parent = where.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        return f"{VAR}: cannot create {where.parent}: {parent} is a file"
    if not _folder_writable(parent):
        hint = ("run from a writable folder or set " + VAR) if not path.is_absolute() else f"point {VAR} elsewhere"
        return f"{VAR}: cannot create {where} ({parent} is not writable); {hint}"
    return None


def _folder_writable(folder: Path) -> bool:
    """A file can be created there (tried: ``os.access`` is not the whole truth for root)."""
    if not os.access(folder, os.W_OK | os.X_OK):
        return False
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def _file_writable(path: Path) -> bool:
    if not os.access(path, os.R_OK | os.W_OK):
        return False
    try:
        with open(path, "r+b"):
            return True
    except OSError:
        return False


def _sqlite_content_problem(path: Path) -> str | None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute("PRAGMA quick_check(1)").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return _sqlite_words(str(exc), path)
    if row is None or row[0] != "ok":
        return _sqlite_words("malformed", path)
    return None


def _sqlite_words(message: str, path: Path | str) -> str:
    low = message.lower()
    if "not a database" in low:
        return f"{VAR}: {path} is not a SQLite database; move it away or point {VAR} at another file"
    if "malformed" in low or "corrupt" in low:
        return (f"{VAR}: {path} is corrupted ({message}); restore a backup or move it away to start "
                f"with an empty database")
    if "readonly" in low or "read-only" in low:
        return f"{VAR}: {path} is read-only (the file or its folder); make both writable for this user"
    if "unable to open" in low:
        return f"{VAR}: cannot open {path} (missing folder or no permission); check the path and its rights"
    if "locked" in low:
        return f"{VAR}: {path} is locked by another process; stop the other SignalPilot first"
    return f"{VAR}: {path}: {message}"


def describe(exc: BaseException, url: str) -> str:
    """One line for an error raised while opening or migrating the database."""
    problem = url_problem(url)
    if problem is not None:
        return problem
    inner = getattr(exc, "orig", None) or exc
    name = type(inner).__name__
    message = str(inner).strip().splitlines()[0] if str(inner).strip() else name
    path = sqlite_path(url)
    if path is not None:
        if isinstance(inner, PermissionError):
            return f"{VAR}: cannot create {path} ({inner.strerror}); run from a writable folder or set {VAR}"
        return _sqlite_words(message, path)
    target = shown(url)
    if isinstance(inner, ConnectionRefusedError) or "connect call failed" in message.lower():
        return f"{VAR}: the database server is not answering ({target}, connection refused); start it or fix the host and port"
    if isinstance(inner, OSError | TimeoutError):
        return f"{VAR}: cannot reach the database server ({target}: {message}); check the host and the network"
    if name == "InvalidCatalogNameError" or "does not exist" in message and "database" in message:
        return f"{VAR}: {message} ({target}); create it (e.g. createdb) or fix the name"
    if name in ("InvalidPasswordError", "InvalidAuthorizationSpecificationError") or "authentication" in message:
        return f"{VAR}: the database refused the login ({target}): {message}; fix the user or password"
    return f"{VAR}: the database could not be opened ({target}): {name}: {message}"


async def connect_problem(url: str, timeout: float = 10.0) -> str | None:
    """Open a connection and run ``SELECT 1``; None when that works."""
    problem = url_problem(url) or file_problem(url)
    if problem is not None or sqlite_path(url) is not None:
        return problem  # a SQLite file is checked without creating it
    args = {"timeout": timeout} if make_url(url).get_backend_name() == "postgresql" else {}
    engine = create_async_engine(url, connect_args=args)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        return describe(exc, url)
    finally:
        await engine.dispose()
    return None
