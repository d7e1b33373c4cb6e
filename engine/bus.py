"""In-process async event bus: ordered delivery to subscribers; a failing subscriber is isolated."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from engine.domain.events import Event

log = logging.getLogger("engine.bus")

E = TypeVar("E", bound=Event)
Handler = Callable[[Any], Awaitable[None] | None]
BatchHandler = Callable[[tuple[Event, ...]], Awaitable[None] | None]


class EventBus:
    """``subscribe(EventType, handler)``; ``await publish(event)`` calls handlers in order.

    Handlers subscribed to a base class (``Event``) receive every subclass. Delivery is in
    subscription order and completes before ``publish`` returns, so events reach every
    subscriber in the order they were published.
    """

    def __init__(self) -> None:
        self._subs: list[tuple[type[Event], Handler]] = []
        self._batch_subs: list[BatchHandler] = []
        self.published = 0

    def subscribe(self, event_type: type[E], handler: Callable[[E], Awaitable[None] | None]) -> None:
        self._subs.append((event_type, handler))

    def subscribe_batches(self, handler: Callable[[tuple[Event, ...]], Awaitable[None] | None]) -> None:
        """``handler`` gets every publication as a whole: one event alone, or the events of one
        transition together, in order (``publish_batch``)."""
        self._batch_subs.append(handler)

    def unsubscribe(self, handler: Handler) -> None:
        self._subs = [(t, h) for t, h in self._subs if h is not handler]
        self._batch_subs = [h for h in self._batch_subs if h is not handler]

    async def publish_batch(self, events: tuple[Event, ...]) -> None:
        """The events of one transition: to each per-event subscriber one by one, in order; to each
        batch subscriber together, in one call."""
        if not events:
            return
        for event in events:
            await self._deliver(event)
        await self._deliver_batch(events)

    async def publish(self, event: Event) -> None:
        await self._deliver(event)
        await self._deliver_batch((event,))

    async def _deliver_batch(self, events: tuple[Event, ...]) -> None:
        for handler in list(self._batch_subs):
            try:
                result = handler(events)
                if result is not None:
                    await result
            except Exception:
                log.exception("batch subscriber %s failed on %s", getattr(handler, "__qualname__", handler),
                              ", ".join(type(e).__name__ for e in events))

    async def _deliver(self, event: Event) -> None:
        self.published += 1
        for event_type, handler in list(self._subs):
            if not isinstance(event, event_type):
                continue
            try:
                result = handler(event)
                if result is not None:
                    await result
            except Exception:  # a subscriber never breaks the engine or the others
                log.exception("subscriber %s failed on %s", getattr(handler, "__qualname__", handler),
                              type(event).__name__)
