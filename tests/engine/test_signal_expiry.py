"""A signal's time to live: on a running replay (faster than real time) it counts in wall-clock
minutes, so a Telegram card stays confirmable; on a stepped replay (backtests, tests) in replay time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from engine.clock import ManualClock
from engine.domain.models import SignalStatus
from engine.domain.reasons import RejectReason
from engine.views import ConfirmOutcome


async def _wait_until(condition, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    """Poll a state (no fixed sleep): fails only on a real hang."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def test_running_replay_counts_ttl_in_wall_clock_time(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await engine_factory(start=False, market={"replay_speed": 2000}, scan={"signal_ttl_min": 15})
    await engine.start(run_feed=True, run_jobs=False)
    first = engine.clock.now()
    await _wait_until(lambda: engine.clock.now() > first)  # a first price is known
    sig = await engine.analyse("ETH/BTC")
    assert sig is not None
    # two replayed hours pass (the expire job runs at every replayed bar) — seconds of real time
    await _wait_until(lambda: engine.clock.now() >= sig.created_at + timedelta(hours=2))
    assert await engine.signals.expire() == []
    assert (await engine.get_signal(sig.id)).status is SignalStatus.RAISED
    result = await engine.confirm(sig.id, by="1")
    assert result.outcome is ConfirmOutcome.OPENED, result


async def test_wall_clock_ttl_expires_after_real_minutes(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await engine_factory(scan={"signal_ttl_min": 15})
    wall = ManualClock(datetime(2030, 1, 1, tzinfo=UTC))
    engine.count_ttl_in(wall)  # as start() does on a running replay
    await engine.step_market(1)
    sig = await engine.analyse("ETH/BTC")
    assert sig is not None and sig.expires_at == wall.now() + timedelta(minutes=15)
    await engine.step_market(48)  # four replayed hours: still alive
    assert await engine.signals.expire() == []
    wall.set(wall.now() + timedelta(minutes=15))
    assert [s.id for s in await engine.signals.expire()] == [sig.id]
    late = await engine.confirm(sig.id, by="1")
    assert late.outcome is ConfirmOutcome.REJECTED and late.reason is RejectReason.SIGNAL_EXPIRED


async def test_stepped_replay_keeps_replay_time(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await engine_factory(scan={"signal_ttl_min": 15})
    await engine.step_market(1)
    sig = await engine.analyse("ETH/BTC")
    assert sig is not None and sig.expires_at == sig.created_at + timedelta(minutes=15)
    await engine.step_market(4)  # 20 replayed minutes
    late = await engine.confirm(sig.id, by="1")
    assert late.outcome is ConfirmOutcome.REJECTED and late.reason is RejectReason.SIGNAL_EXPIRED


def _count_signal_queries(engine) -> list[str]:  # type: ignore[no-untyped-def]
    """Every SQL statement the engine sends that reads or writes the signals table, as it is sent."""
    from sqlalchemy import event

    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if "signals" in statement:
            seen.append(statement)

    event.listen(engine.database.engine.sync_engine, "before_cursor_execute", record)
    return seen


async def test_bars_cost_no_query_while_nothing_can_expire(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await engine_factory(scan={"signal_ttl_min": 600, "interval_min": 240})
    await engine.step_market(1)  # the first scan runs here
    sig = await engine.analyse("ETH/BTC")
    assert sig is not None
    queries = _count_signal_queries(engine)
    await engine.step_market(24)  # two replayed hours: the expire job ran on every bar
    assert queries == []
    assert engine.jobs.next_run("expire") is not None
    assert (await engine.get_signal(sig.id)).status is SignalStatus.RAISED


async def test_signal_expires_at_its_ttl_also_after_a_restart(engine_factory, db_url_factory) -> None:  # type: ignore[no-untyped-def]
    url = db_url_factory()
    sections = {"scan": {"signal_ttl_min": 30, "interval_min": 240}}
    engine = await engine_factory(url, **sections)
    await engine.step_market(1)
    first = await engine.analyse("ETH/BTC")
    assert first is not None
    await engine.step_market(5)  # 25 minutes
    assert (await engine.get_signal(first.id)).status is SignalStatus.RAISED
    await engine.step_market(1)  # 30 minutes: its deadline has come
    expired = await engine.get_signal(first.id)
    assert expired.status is SignalStatus.EXPIRED and engine.clock.now() >= first.expires_at
    second = await engine.analyse("LTC/BTC")
    assert second is not None
    await engine.stop()

    again = await engine_factory(url, **sections)  # a restart: the deadline comes back from the database
    assert again.signals.next_expiry == second.expires_at
    while again.clock.now() < second.expires_at:
        assert (await again.get_signal(second.id)).status is SignalStatus.RAISED
        await again.step_market(1)
    assert (await again.get_signal(second.id)).status is SignalStatus.EXPIRED
    assert again.signals.next_expiry is None
