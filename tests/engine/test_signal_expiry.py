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
    assert await engine.c.signals.expire() == []
    assert (await engine.get_signal(sig.id)).status is SignalStatus.RAISED
    result = await engine.confirm(sig.id, by="1")
    assert result.outcome is ConfirmOutcome.OPENED, result


async def test_wall_clock_ttl_expires_after_real_minutes(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await engine_factory(scan={"signal_ttl_min": 15})
    wall = ManualClock(datetime(2030, 1, 1, tzinfo=UTC))
    engine.c.signals.expiry_clock = engine.c.trading.expiry_clock = wall  # as start() does on a running replay
    await engine.step_market(1)
    sig = await engine.analyse("ETH/BTC")
    assert sig is not None and sig.expires_at == wall.now() + timedelta(minutes=15)
    await engine.step_market(48)  # four replayed hours: still alive
    assert await engine.c.signals.expire() == []
    wall.set(wall.now() + timedelta(minutes=15))
    assert [s.id for s in await engine.c.signals.expire()] == [sig.id]
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
