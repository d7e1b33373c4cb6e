"""Alerts from the outbox → the channels beyond Telegram, in order per channel, once per channel,
through outages and restarts: the same guarantees as Telegram's alerts.

Each channel reads the outbox alerts it has not handled (``ChannelOutbox``), oldest first. An alert
of a kind the channel does not take is marked ``skipped``; one that went out is marked ``sent``; one
the receiver refuses for good is marked ``refused`` (and logged). A failure that may pass holds the
channel (later alerts wait: the order is kept) and is retried with a doubling delay, on real time.
Alerts older than ``max_age`` when a channel starts reading are not sent (a restart after a long stop
does not flood a mailbox); the bus wakes the router when a new alert is written.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from engine.alerts.channels import Channel, Refused, Retry
from engine.bus import EventBus
from engine.clock import Clock, LiveClock
from engine.domain.events import Event
from engine.storage.channel_outbox import ChannelOutbox
from engine.storage.outbox import is_alert
from engine.tasks import cancel_all, spawn

log = logging.getLogger("engine.alerts")


class AlertRouter:
    def __init__(self, store: ChannelOutbox, channels: list[Channel], bus: EventBus, clock: Clock,
                 max_age: timedelta) -> None:
        self.store, self.channels, self.clock, self.max_age = store, channels, clock, max_age
        self.timer: Clock = clock if isinstance(clock, LiveClock) else LiveClock()  # backoff in real time
        self.backoff_base = 1.0
        self.backoff_max = 300.0
        self.sent: dict[str, int] = {c.name: 0 for c in channels}
        self.retries: dict[str, int] = {c.name: 0 for c in channels}
        self._wake = {c.name: asyncio.Event() for c in channels}
        self._tasks: list[asyncio.Task[object]] = []
        bus.subscribe(Event, self._on_event)

    def _on_event(self, event: Event) -> None:
        if is_alert(event):
            for wake in self._wake.values():
                wake.set()

    def start(self) -> None:
        for channel in self.channels:
            self._wake[channel.name].set()  # what an earlier run could not deliver goes first
            self._tasks.append(spawn(self._run(channel), f"alerts-{channel.name}"))

    async def stop(self) -> None:
        await cancel_all(self._tasks)
        self._tasks.clear()
        for channel in self.channels:
            await channel.close()

    async def _run(self, channel: Channel) -> None:
        wake = self._wake[channel.name]
        failures = 0
        while True:
            await wake.wait()
            wake.clear()
            while True:
                try:
                    done = await self.flush(channel)
                except Retry as exc:
                    failures += 1
                    self.retries[channel.name] += 1
                    delay = min(self.backoff_max, self.backoff_base * 2 ** min(failures - 1, 20))
                    log.warning("alert to %s failed (%s); retry %d in %.1f s", channel.name, exc, failures, delay)
                    await self.timer.sleep(delay)
                    continue
                failures = 0
                if done:
                    break

    async def flush(self, channel: Channel, batch: int = 100) -> bool:
        """Handle this channel's pending alerts in order; True when none is left. ``Retry`` propagates."""
        since = self.clock.now() - self.max_age
        pending = await self.store.pending(channel.name, since, batch)
        for event in pending:
            now = self.clock.now()
            if not channel.wants(event):
                await self.store.mark([event.id], channel.name, "skipped", now)
                continue
            try:
                await channel.send(event)
            except Refused as exc:
                log.error("%s refused alert %s (%s): not sent again", channel.name, event.id, exc)
                await self.store.mark([event.id], channel.name, "refused", now)
                continue
            await self.store.mark([event.id], channel.name, "sent", now)
            self.sent[channel.name] += 1
        return len(pending) < batch
