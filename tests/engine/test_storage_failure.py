"""A database that stops taking writes while the engine trades on replay: the SQLite file is reopened
read-only (on PostgreSQL, when configured, the database is made read-only and the connections are
made again) once a position is open with its stop and targets resting. The engine says so once
(``StorageFailed``), makes no new entry, leaves the protective orders where they are on the venue,
refuses confirmations and sets ``failed`` (the CLI then exits)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import create_async_engine

from engine.domain.events import (
    Event,
    PositionOpened,
    ScanCompleted,
    SignalRaised,
    StorageFailed,
    StorageFault,
)
from engine.domain.models import Leg
from engine.domain.reasons import RejectReason
from engine.facade import Engine
from engine.storage.db import Database
from engine.views import ConfirmOutcome
from tests.conftest import _BACKENDS, POSTGRES_URL, _reset_postgres, engine_settings

AUTO = {"risk": {"execution_mode": "auto"}, "scan": {"min_score": 55}}


async def reopen_read_only(engine: Engine, path: Path) -> None:
    """Every connection made from now on opens the same file read-only (what SQLite does when the
    operating system refuses to write it); the pooled ones are dropped."""
    db = engine.database
    sync = db.engine.sync_engine
    event.remove(sync, "do_connect", db._on_connect)

    def read_only(_dialect, _record, cargs, cparams):  # type: ignore[no-untyped-def]
        cargs[0] = f"file:{path}?mode=ro"
        cparams["uri"] = True

    event.listen(sync, "do_connect", read_only)
    event.listen(sync, "do_connect", db._on_connect)
    await db.engine.dispose()


async def postgres_read_only(engine: Engine, read_only: bool = True) -> None:
    """PostgreSQL's own switch: every new transaction of the database is read-only (25006 on write)."""
    assert POSTGRES_URL is not None
    name = POSTGRES_URL.rsplit("/", 1)[-1]
    admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text("set default_transaction_read_only = off"))
            setting = "on" if read_only else "off"
            await conn.execute(text(f'alter database "{name}" set default_transaction_read_only = {setting}'))
    finally:
        await admin.dispose()
    await engine.database.engine.dispose()


@pytest.mark.parametrize("backend", _BACKENDS)
async def test_a_read_only_database_mid_run_stops_entries_keeps_protection_and_says_so(
        backend: str, tmp_path: Path) -> None:
    path = tmp_path / "trading.db"
    if backend == "postgres":
        assert POSTGRES_URL is not None
        fresh = Database(POSTGRES_URL)
        await _reset_postgres(fresh)
        await fresh.close()
    url = POSTGRES_URL if backend == "postgres" else f"sqlite+aiosqlite:///{path}"
    engine = await Engine.create(engine_settings(url, **AUTO))  # type: ignore[arg-type]
    events: list[Event] = []
    broken = asyncio.Event()
    protected: dict[str, set[str]] = {}

    async def on_event(ev: Event) -> None:
        events.append(ev)
        if isinstance(ev, ScanCompleted) and not broken.is_set():
            open_now = engine.manager.open_positions()
            resting = {o.client_id for o in await engine.broker.open_orders()}
            legs = {p.id: {o.client_id for o in engine.manager.orders_of(p.id)
                           if o.client_id in resting and o.leg.startswith((Leg.STOP, Leg.TARGET))}
                    for p in open_now}
            if open_now and all(any(Leg.STOP.value in c for c in ids) for ids in legs.values()):
                protected.update(legs)
                if backend == "postgres":
                    await postgres_read_only(engine)
                else:
                    await reopen_read_only(engine, path)
                broken.set()

    engine.bus.subscribe(Event, on_event)
    await engine.start()  # the replay feed and its jobs run at full speed
    try:
        await asyncio.wait_for(engine.failed.wait(), 120)
        if backend == "postgres":
            await postgres_read_only(engine, False)  # the shared test database is writable again
        failures = [e for e in events if isinstance(e, StorageFailed)]
        assert len(failures) == 1 and failures[0].fault is StorageFault.READ_ONLY
        assert engine.failure is failures[0]
        assert broken.is_set() and protected
        at_failure = events.index(failures[0])
        opened_before = [e for e in events[:at_failure] if isinstance(e, PositionOpened)]
        assert opened_before  # it was trading
        # the feed has stopped, and no job runs any more even when all of them are due
        assert engine._tasks == []
        count = len(events)
        await engine.jobs.on_bar(engine.clock.now() + timedelta(days=1))
        assert len(events) == count
        assert not [e for e in events[at_failure:] if isinstance(e, PositionOpened | SignalRaised)]
        # protective orders stay where they were on the venue
        resting = {o.client_id for o in await engine.broker.open_orders()}
        for ids in protected.values():
            assert ids <= resting, (ids, resting)
        # a confirmation is refused
        result = await engine.confirm("any-signal", by="1")
        assert result.outcome is ConfirmOutcome.REJECTED and result.reason is RejectReason.HALTED
        assert (await engine.scan_now()).raised == ()
    finally:
        if backend == "postgres":
            await postgres_read_only(engine, False)
        await engine.stop()
    assert not engine.started
