"""Prometheus metrics of one engine (``prometheus-client``; its only home), served at ``GET /metrics``.

Counted from the bus: signals by source and outcome, fills, risk refusals. Counted at the broker's
door: orders placed and rejected (by reason). Counted process-wide by the ccxt layer: REST requests
by venue and endpoint, rate-limit hits (``engine.brokers.ccxt.client.REST_CALLS``/``RATE_LIMITS``).
Read when scraped: open positions, equity, realized PnL, front-end queues (the Telegram delivery
queue's depth and retries, registered by the bot through ``Engine.watch_queue``), event-loop lag.
Tick → action latency: the time ``Engine.on_tick`` takes when the tick led to a fill or an order.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from engine.brokers.ccxt.counters import RATE_LIMITS, REST_CALLS
from engine.brokers.errors import BrokerError
from engine.domain.events import (
    Event,
    OrderFilled,
    RiskRejected,
    SignalCancelled,
    SignalConfirmed,
    SignalExpired,
    SignalRaised,
)

if TYPE_CHECKING:
    from engine.wiring import Components

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
SIGNAL_OUTCOMES: dict[type[Event], str] = {
    SignalRaised: "raised", SignalConfirmed: "confirmed", SignalCancelled: "cancelled", SignalExpired: "expired",
    RiskRejected: "rejected",
}
EQUITY_MAX_AGE = 60.0  # seconds: a live venue's balance is asked for at most once a minute


class _Queues(Collector):
    def __init__(self) -> None:
        self.sources: dict[str, tuple[Callable[[], int], Callable[[], int]]] = {}

    def collect(self) -> Iterator[Any]:
        depth = GaugeMetricFamily("signalpilot_frontend_queue_depth", "messages waiting to be sent", labels=["frontend"])
        retries = CounterMetricFamily("signalpilot_frontend_retries", "sends retried (429, network, server)",
                                      labels=["frontend"])
        for name, (pending, retried) in self.sources.items():
            depth.add_metric([name], pending())
            retries.add_metric([name], retried())
        yield depth
        yield retries


class _Rest(Collector):
    def collect(self) -> Iterator[Any]:
        calls = CounterMetricFamily("signalpilot_rest_requests", "REST requests sent to a venue",
                                    labels=["venue", "method", "endpoint"])
        for (venue, method, endpoint), n in sorted(REST_CALLS.items()):
            calls.add_metric([venue, method, endpoint], n)
        limits = CounterMetricFamily("signalpilot_rate_limit_hits", "rate-limit answers from a venue", labels=["venue"])
        for venue, n in sorted(RATE_LIMITS.items()):
            limits.add_metric([venue], n)
        yield calls
        yield limits


class Metrics:
    def __init__(self, c: Components) -> None:
        self.c = c
        self.registry = CollectorRegistry()
        r = self.registry
        self.signals = Counter("signalpilot_signals", "signals by source and outcome", ["source", "outcome"],
                               registry=r)
        self.orders = Counter("signalpilot_orders", "orders placed or rejected, by reason", ["result", "reason"],
                              registry=r)
        self.fills = Counter("signalpilot_fills", "fills of our orders", ["leg"], registry=r)
        self.open_positions = Gauge("signalpilot_open_positions", "open positions", registry=r)
        self.equity = Gauge("signalpilot_equity", "account equity (account currency)", registry=r)
        self.realized = Gauge("signalpilot_realized_pnl", "realized PnL of closed trades, net of fees", registry=r)
        self.latency = Histogram("signalpilot_tick_to_action_seconds", "price tick to order or fill",
                                 buckets=LATENCY_BUCKETS, registry=r)
        self.loop_lag = Gauge("signalpilot_event_loop_lag_seconds", "how late the event loop woke a 0.5 s sleep",
                              registry=r)
        self.hook_refusals = Counter("signalpilot_webhook_bad_secret", "webhook calls with a wrong secret (404)",
                                     registry=r)
        self.queues = _Queues()
        r.register(self.queues)
        r.register(_Rest())
        self._acted = False
        self.lag = 0.0  # seconds, the last measure
        self._equity_at = float("-inf")
        self._lag_task: asyncio.Task[None] | None = None
        c.bus.subscribe(Event, self._on_event)
        self._wrap_broker()

    # --- counting ------------------------------------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        outcome = SIGNAL_OUTCOMES.get(type(event))
        if outcome is not None:
            self.signals.labels(event.signal.source, outcome).inc()  # type: ignore[attr-defined]
        if isinstance(event, OrderFilled):
            self.fills.labels(event.leg.rstrip("0123456789")).inc()
            self._acted = True

    def signal_outcome(self, source: str, outcome: str) -> None:
        """An outside signal that was not raised (duplicate, invalid, rate-limited, …)."""
        if outcome != "raised":  # raised ones are counted from the bus, like the scanner's
            self.signals.labels(source, outcome).inc()

    def _wrap_broker(self) -> None:
        broker = self.c.broker
        place = broker.place_order

        async def counted(request: Any) -> Any:
            try:
                result = await place(request)
            except BrokerError as exc:
                self.orders.labels("rejected", exc.venue_code or type(exc).__name__).inc()
                raise
            self.orders.labels("placed", "").inc()
            self._acted = True
            return result

        broker.place_order = counted  # type: ignore[method-assign]

    def bad_secret(self) -> None:
        self.hook_refusals.inc()

    def tick_started(self) -> float:
        self._acted = False
        return time.perf_counter()

    def tick_finished(self, started: float) -> None:
        if self._acted:
            self.latency.observe(time.perf_counter() - started)

    def watch_queue(self, name: str, pending: Callable[[], int], retried: Callable[[], int]) -> None:
        self.queues.sources[name] = (pending, retried)

    # --- scraping ------------------------------------------------------------------------------------
    async def refresh(self) -> None:
        c = self.c
        self.open_positions.set(len(c.manager.open_positions()))
        self.realized.set(float(sum((p.realized_pnl for p in await c.repo.closed_positions()), Decimal(0))))
        now = time.monotonic()
        if c.broker.paper or now - self._equity_at >= EQUITY_MAX_AGE:
            try:
                self.equity.set(float((await c.broker.balance()).equity))
                self._equity_at = now
            except BrokerError:
                pass  # the last known value stays

    async def render(self) -> bytes:
        await self.refresh()
        return generate_latest(self.registry)

    # --- event-loop lag --------------------------------------------------------------------------------
    def start(self) -> None:
        if self._lag_task is None:
            self._lag_task = asyncio.get_running_loop().create_task(self._watch_lag(), name="loop-lag")

    async def stop(self) -> None:
        if self._lag_task is not None:
            self._lag_task.cancel()
            try:
                await self._lag_task
            except asyncio.CancelledError:
                pass
            self._lag_task = None

    async def _watch_lag(self, period: float = 0.5) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await asyncio.sleep(period)
            self.lag = max(0.0, loop.time() - started - period)
            self.loop_lag.set(self.lag)
