"""The position manager's unit of work: what one lifecycle step writes, in one transaction.

``commit(unit)`` writes the unit together with what was staged since the last commit (order
acknowledgements and the alerts they cause) and the paper venue's changed rows, then publishes the
staged alerts — even when the database is what failed: a human hears of it either way. The
acknowledgements of a step's orders are staged while they are sent and committed once, after
the last of them (or with the fills a synchronous venue produced meanwhile).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from engine.brokers.base import JournaledVenue
from engine.bus import EventBus
from engine.clock import Clock
from engine.domain.events import EngineError
from engine.domain.models import Order
from engine.storage.repository import Repository, Unit


class UnitOfWork:
    def __init__(self, repo: Repository, bus: EventBus, clock: Clock, venue: JournaledVenue | None) -> None:
        self._repo, self._bus, self._clock, self._venue = repo, bus, clock, venue
        self._orders: dict[str, Order] = {}
        self._alerts: list[EngineError] = []

    @property
    def pending(self) -> bool:
        return bool(self._orders or self._alerts)

    def stage(self, order: Order, alert: EngineError | None = None) -> None:
        """An order's new state (and the alert it causes), for the next commit."""
        self._orders[order.client_id] = order
        if alert is not None:
            self._alerts.append(alert)

    async def commit(self, unit: Unit, alerts: Iterable[EngineError] = ()) -> None:
        """Write ``unit`` with what is staged and the venue's changed rows; then publish the staged
        alerts and ``alerts`` (which ``unit.events`` already holds)."""
        staged = tuple(self._orders.values())
        told = (*self._alerts, *alerts)
        self._orders, self._alerts = {}, []
        ids = {e.id for e in unit.events}
        venue = self._venue.take_changes() if self._venue is not None else None
        try:
            await self._repo.commit(replace(unit, orders=(*staged, *unit.orders), venue=venue or None,
                                            events=(*(a for a in told if a.id not in ids), *unit.events),
                                            now=unit.now or self._clock.now()))
        finally:
            for event in told:
                await self._bus.publish(event)

    async def flush(self) -> None:
        """Commit what is staged, if anything."""
        if self.pending:
            await self.commit(Unit())
