"""A database that stops taking writes while the engine trades on replay: the file is reopened
read-only once a position is open with its stop and targets resting. The engine says so once
(``StorageFailed``), makes no new entry, leaves the protective orders where they are on the venue,
refuses confirmations and sets ``failed`` (the CLI then exits)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event

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
from engine.views import ConfirmOutcome
from tests.conftest import engine_settings

AUTO = {"risk": {"execution_mode": "auto"}, "scan": {"min_score": 55}}


async def reopen_read_only(engine: Engine, path: Path) -> None:
    """Every connection made from now on opens the same file read-only (what SQLite does when the
    operating system refuses to write it); the pooled ones are dropped."""
    db = engine.c.db
    sync = db.engine.sync_engine
    event.remove(sync, "do_connect", db._on_connect)

    def read_only(_dialect, _record, cargs, cparams):  # type: ignore[no-untyped-def]
        cargs[0] = f"file:{path}?mode=ro"
        cparams["uri"] = True

    event.listen(sync, "do_connect", read_only)
    event.listen(sync, "do_connect", db._on_connect)
    await db.engine.dispose()


async def test_a_read_only_database_mid_run_stops_entries_keeps_protection_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "trading.db"
    engine = await Engine.create(engine_settings(f"sqlite+aiosqlite:///{path}", **AUTO))
    events: list[Event] = []
    broken = asyncio.Event()
    protected: dict[str, set[str]] = {}

    async def on_event(ev: Event) -> None:
        events.append(ev)
        if isinstance(ev, ScanCompleted) and not broken.is_set():
            open_now = engine.c.manager.open_positions()
            resting = {o.client_id for o in await engine.c.broker.open_orders()}
            legs = {p.id: {o.client_id for o in engine.c.manager.orders_of(p.id)
                           if o.client_id in resting and o.leg.startswith((Leg.STOP, Leg.TARGET))}
                    for p in open_now}
            if open_now and all(any(Leg.STOP.value in c for c in ids) for ids in legs.values()):
                protected.update(legs)
                await reopen_read_only(engine, path)
                broken.set()

    engine.bus.subscribe(Event, on_event)
    await engine.start()  # the replay feed and its jobs run at full speed
    try:
        await asyncio.wait_for(engine.failed.wait(), 120)
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
        await engine.c.jobs.on_bar(engine.clock.now() + timedelta(days=1))
        assert len(events) == count
        assert not [e for e in events[at_failure:] if isinstance(e, PositionOpened | SignalRaised)]
        # protective orders stay where they were on the venue
        resting = {o.client_id for o in await engine.c.broker.open_orders()}
        for ids in protected.values():
            assert ids <= resting, (ids, resting)
        # a confirmation is refused
        result = await engine.confirm("any-signal", by="1")
        assert result.outcome is ConfirmOutcome.REJECTED and result.reason is RejectReason.HALTED
        assert (await engine.scan_now()).raised == ()
    finally:
        await engine.stop()
    assert not engine.started
