"""In-process async event bus: ordered delivery to subscribers; a failing subscriber is isolated."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from engine.domain.events import Event

log = logging.getLogger("engine.bus")

E = TypeVar("E", bound=Event)
Handler = Callable[[Any], Awaitable[None] | None]


class EventBus:
    """``subscribe(EventType, handler)``; ``await publish(event)`` calls handlers in order.

    Handlers subscribed to a base class (``Event``) receive every subclass. Delivery is in
    subscription order and completes before ``publish`` returns, so events reach every
    subscriber in the order they were published.
    """

    def __init__(self) -> None:
        self._subs: list[tuple[type[Event], Handler]] = []
        self.published = 0

    def subscribe(self, event_type: type[E], handler: Callable[[E], Awaitable[None] | None]) -> None:
        self._subs.append((event_type, handler))

    def unsubscribe(self, handler: Handler) -> None:
        self._subs = [(t, h) for t, h in self._subs if h is not handler]

    async def publish(self, event: Event) -> None:
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
