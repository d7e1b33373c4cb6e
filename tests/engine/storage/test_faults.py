"""Failures that will not fix themselves are told apart from transient ones, on real databases:
a SQLite file reopened read-only, a file at its size limit, a folder that is gone, a lock held by
another connection; on PostgreSQL a read-only session, a database that does not exist and a
server that refuses connections. Once armed, the first such failure raises ``StorageUnavailable``
and is reported once; a lock is not reported at all."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import create_async_engine

from engine.domain.events import StorageFault
from engine.storage.db import Database, StorageUnavailable, classify
from tests.conftest import POSTGRES_URL


def _made(tmp_path: Path) -> Path:
    path = tmp_path / "made.db"
    with sqlite3.connect(path) as conn:
        conn.execute("create table t (x integer)")
        conn.execute("insert into t values (1)")
    return path


def _error(call) -> BaseException:  # type: ignore[no-untyped-def]
    try:
        call()
    except sqlite3.Error as exc:
        return exc
    raise AssertionError("no error")


def test_sqlite_failures_are_classified_from_real_errors(tmp_path: Path) -> None:
    path = _made(tmp_path)
    read_only = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    assert classify(_error(lambda: read_only.execute("insert into t values (2)"))) is StorageFault.READ_ONLY

    full = sqlite3.connect(path)
    pages = full.execute("pragma page_count").fetchone()[0]
    full.execute(f"pragma max_page_count = {pages}")  # the file may not grow: SQLITE_FULL, as on a full disk
    blob = "x" * 100_000
    assert classify(_error(lambda: full.execute("insert into t values (?)", (blob,)))) is StorageFault.DISK_FULL

    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("begin immediate")  # another writer holds the lock
    waiter = sqlite3.connect(path, timeout=0)
    locked = _error(lambda: waiter.execute("insert into t values (3)"))
    assert "locked" in str(locked) and classify(locked) is None  # transient: never a storage failure
    holder.execute("rollback")

    gone_dir = tmp_path / "gone"
    gone_dir.mkdir()
    (gone_dir / "x.db").touch()
    shutil.rmtree(gone_dir)
    assert classify(_error(lambda: sqlite3.connect(gone_dir / "x.db").execute("select 1"))) is StorageFault.GONE
    for conn in (read_only, full, holder, waiter):
        conn.close()


async def _reopen_read_only(db: Database, path: Path) -> None:
    """The same file, opened again read-only (what SQLite does when the OS refuses writes)."""
    await db.engine.dispose()
    sync = db.engine.sync_engine
    event.remove(sync, "do_connect", db._on_connect)

    def read_only(_dialect, _record, cargs, cparams):  # type: ignore[no-untyped-def]
        cargs[0] = f"file:{path}?mode=ro"
        cparams["uri"] = True

    event.listen(sync, "do_connect", read_only)
    event.listen(sync, "do_connect", db._on_connect)


async def test_an_armed_database_reports_the_first_lasting_failure_once(tmp_path: Path) -> None:
    path = tmp_path / "armed.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    reports: list[tuple[StorageFault, str]] = []
    db.on_fault = lambda fault, detail: reports.append((fault, detail))
    try:
        async with db.engine.begin() as conn:
            await conn.execute(text("insert into kv (key, value) values ('a', '1')"))
        assert reports == []
        await _reopen_read_only(db, path)
        for _ in range(2):
            with pytest.raises(StorageUnavailable) as raised:
                async with db.engine.begin() as conn:
                    await conn.execute(text("insert into kv (key, value) values ('b', '2')"))
            assert isinstance(raised.value, OperationalError)  # callers that catch OperationalError still do
            assert str(raised.value) == "database read only: attempt to write a readonly database"
        assert reports == [(StorageFault.READ_ONLY, "attempt to write a readonly database")]
        async with db.engine.connect() as conn:  # reads still work
            assert (await conn.execute(text("select value from kv where key = 'a'"))).scalar() == "1"
    finally:
        await db.close()


async def test_a_lock_is_not_a_storage_failure(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    reports: list[object] = []
    db.on_fault = lambda fault, detail: reports.append(fault)
    event.listen(db.engine.sync_engine, "connect", lambda conn, _r: conn.execute("pragma busy_timeout = 0"))
    await db.engine.dispose()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("begin immediate")
    try:
        with pytest.raises(OperationalError) as raised:
            async with db.engine.begin() as conn:
                await conn.execute(text("insert into kv (key, value) values ('a', '1')"))
        assert not isinstance(raised.value, StorageUnavailable) and "locked" in str(raised.value)
        assert reports == [] and db.fault is None
    finally:
        holder.execute("rollback")
        holder.close()
        await db.close()


async def test_before_it_is_armed_errors_are_left_as_they_are(tmp_path: Path) -> None:
    path = _made(tmp_path)
    db = Database(f"sqlite+aiosqlite:///{path}")
    await _reopen_read_only(db, path)
    try:
        with pytest.raises(OperationalError) as raised:
            async with db.engine.begin() as conn:
                await conn.execute(text("insert into t values (2)"))
        assert not isinstance(raised.value, StorageUnavailable)  # start-up errors keep their own message
    finally:
        await db.close()


@pytest.mark.skipif(not POSTGRES_URL, reason="SP_TEST_POSTGRES_URL not set")
async def test_postgres_failures_are_classified_from_real_errors() -> None:
    assert POSTGRES_URL is not None
    engine = create_async_engine(POSTGRES_URL)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("set transaction read only"))
            with pytest.raises(Exception) as raised:
                await conn.execute(text("create table sp_never (x int)"))
        assert classify(raised.value) is StorageFault.READ_ONLY
    finally:
        await engine.dispose()

    base = POSTGRES_URL.rsplit("/", 1)[0]
    missing = Database(f"{base}/sp_no_such_database")
    missing.on_fault = lambda fault, detail: None
    try:
        with pytest.raises(StorageUnavailable) as gone:
            async with missing.engine.connect() as conn:
                await conn.execute(text("select 1"))
        assert gone.value.fault is StorageFault.GONE
    finally:
        await missing.close()

    refused = Database("postgresql+asyncpg://postgres@127.0.0.1:9/x")  # nothing listens on port 9
    refused.on_fault = lambda fault, detail: None
    try:
        with pytest.raises(StorageUnavailable) as down:
            async with refused.engine.connect() as conn:
                await conn.execute(text("select 1"))
        assert down.value.fault is StorageFault.GONE
    finally:
        await refused.close()
