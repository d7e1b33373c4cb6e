"""Event bus: ordered delivery, base-class subscriptions, a failing subscriber is isolated."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.bus import EventBus
from engine.domain.events import Event, TradingResumed

T = datetime(2024, 1, 1, tzinfo=UTC)


async def test_order_and_isolation(caplog: pytest.LogCaptureFixture) -> None:
    bus = EventBus()
    seen: list[str] = []

    def broken(e: Event) -> None:
        raise RuntimeError("subscriber bug")

    async def async_sub(e: TradingResumed) -> None:
        seen.append(f"async:{e.by}")

    bus.subscribe(Event, lambda e: seen.append(f"all:{e.by}"))
    bus.subscribe(TradingResumed, broken)
    bus.subscribe(TradingResumed, async_sub)
    for who in ("a", "b", "c"):
        await bus.publish(TradingResumed(ts=T, by=who))
    assert seen == ["all:a", "async:a", "all:b", "async:b", "all:c", "async:c"]
    assert "subscriber bug" in caplog.text or "broken" in caplog.text
    bus.unsubscribe(async_sub)
    await bus.publish(TradingResumed(ts=T, by="d"))
    assert seen[-1] == "all:d"


async def test_a_batch_reaches_each_subscriber_in_order_and_batch_subscribers_whole() -> None:
    bus = EventBus()
    seen: list[str] = []
    batches: list[tuple[str | None, ...]] = []
    bus.subscribe(TradingResumed, lambda e: seen.append(e.by))
    bus.subscribe_batches(lambda events: batches.append(tuple(getattr(e, "by", None) for e in events)))
    await bus.publish_batch((TradingResumed(ts=T, by="tp1"), TradingResumed(ts=T, by="breakeven")))
    await bus.publish(TradingResumed(ts=T, by="alone"))
    assert seen == ["tp1", "breakeven", "alone"]
    assert batches == [("tp1", "breakeven"), ("alone",)]  # one call per publication, its events together
