"""The user-data stream: orders, trades and positions over ccxt.pro, with a REST safety net.

Three watch loops (``watch_orders``, ``watch_my_trades``, ``watch_positions``) feed the broker's
``FillRouter``; each reconnects with exponential backoff. A supervisor ticks every second:

* it delivers trades that were waiting for their order (a triggered stop's child order), and
  after ``pending_lookup_after`` seconds looks the conditional orders up over REST;
* while a loop is failing it polls REST every ``poll_interval`` seconds (open orders, then the
  fills of orders that left the book), and polls once more as soon as the socket is back so
  nothing that happened during the gap is lost;
* while the stream is up it still polls every ``safety_interval`` seconds, in case an event was
  dropped silently.

A listing of every open order fetched for another reason (``CcxtBroker.open_orders()``, which the
reconciliation calls) is handed to ``listed`` and serves as that cycle's poll: the next poll is due
an interval later, so the open-order books are not listed twice in a row (REST budget, issue 9).

``watch_balance`` is not used: Binance's ACCOUNT_UPDATE carries no available balance, so
``balance()`` asks REST when the engine needs it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from engine.brokers.ccxt.errors import translate
from engine.brokers.ccxt.lookups import OrderLookup
from engine.brokers.errors import BrokerError
from engine.clock import Clock
from engine.domain.models import OrderStatus
from engine.tasks import cancel_all, spawn

log = logging.getLogger("engine.brokers.ccxt.stream")


@dataclass(frozen=True)
class StreamConfig:
    poll_interval: float = 20.0  # REST polling while the stream is down (with prices: ≤ 12 requests/min)
    safety_interval: float = 60.0  # REST check while the stream is up
    backoff_start: float = 0.5
    backoff_max: float = 30.0
    tick: float = 1.0
    pending_lookup_after: float = 2.0  # seconds before an unmatched trade triggers a REST look-up
    pending_force_after: float = 10.0  # then it is delivered under the venue's client id
    connect_timeout: float = 5.0  # start() waits this long for the socket before relying on polls
    watch_positions: bool = True


class UserStream:
    """The exchange client's user-data stream, feeding the fill router of ``lookup`` (whose REST
    look-ups are the safety net)."""

    def __init__(self, exchange: Any, clock: Clock, lookup: OrderLookup, config: StreamConfig) -> None:
        self.exchange = exchange
        self.clock = clock
        self.lookup = lookup
        self.router = lookup.router
        self.name = lookup.venue.name
        self.config = config
        self._tasks: list[asyncio.Task[Any]] = []
        self._failing: set[str] = set()
        self._last_poll = 0.0
        self._down_since: float | None = None
        self.reconnects = 0
        self.polls = 0
        self._poll_lock = asyncio.Lock()
        self._flat: set[str] = set()

    # --- state -----------------------------------------------------------------------------
    @property
    def up(self) -> bool:
        return not self._failing

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def _fail(self, name: str, exc: BaseException) -> None:
        if not self._failing:
            self._down_since = self._now()
            err = exc if isinstance(exc, BrokerError) else translate(exc, f"stream {name}")
            log.warning("%s user-data stream down (%s): polling REST every %gs", self.name, err,
                        self.config.poll_interval)
        self._failing.add(name)

    def _ok(self, name: str) -> None:
        if name in self._failing:
            self._failing.discard(name)
            if not self._failing:
                self._back()

    def _back(self) -> None:
        self._failing.clear()
        self.reconnects += 1
        log.info("%s user-data stream back; catching up over REST", self.name)
        self._last_poll = 0.0  # the supervisor polls at once for the gap

    def connected(self) -> bool:
        """Whether every websocket of the broker's client is open (events flow again)."""
        clients = [c for url, c in (getattr(self.exchange, "clients", None) or {}).items()
                   if "://" in str(url)]  # ccxt parks bookkeeping pseudo-clients here too
        return bool(clients) and all(getattr(c, "isConnected", False) and not c.closed() for c in clients)

    async def wait_connected(self, timeout: float) -> bool:
        loop = asyncio.get_running_loop()  # a network wait: monotonic loop time, not the engine clock
        deadline = loop.time() + timeout
        while not self.connected():
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    # --- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        x = self.exchange
        loops: list[tuple[str, Callable[[], Awaitable[Any]], Callable[[Any], None]]] = [
            ("orders", x.watch_orders, self._on_orders),
            ("trades", x.watch_my_trades, self._on_trades),
        ]
        if self.config.watch_positions and getattr(x, "has", {}).get("watchPositions"):
            loops.append(("positions", x.watch_positions, self._on_positions))
        self._last_poll = self._now()
        for name, watch, handle in loops:
            self._tasks.append(spawn(self._loop(name, watch, handle), f"ccxt-stream-{name}"))
        if await self.wait_connected(self.config.connect_timeout):
            try:
                await self.poll()  # events between the start-up look-ups and the socket are not pushed again
            except BrokerError as exc:
                log.warning("%s: first poll failed (%s); the supervisor retries", self.name, exc)
                self._last_poll = 0.0
        else:
            self._fail("connect", TimeoutError("user-data stream did not connect"))
        self._tasks.append(spawn(self._supervise(), "ccxt-stream-supervisor"))

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        await cancel_all(tasks)

    # --- loops -----------------------------------------------------------------------------
    async def _loop(self, name: str, watch: Callable[[], Awaitable[Any]], handle: Callable[[Any], None]) -> None:
        delay = self.config.backoff_start
        while True:
            try:
                items = await watch()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # ccxt.NetworkError, ExchangeClosedByUser, auth on listenKey …
                self._fail(name, exc)
                await self.clock.sleep(delay)
                delay = min(delay * 2, self.config.backoff_max)
                continue
            delay = self.config.backoff_start
            self._ok(name)
            try:
                handle(items)
            except Exception:
                log.exception("handling %s update failed", name)

    def _on_orders(self, orders: list[dict[str, Any]]) -> None:
        router = self.router
        for raw in orders:
            router.learn(raw)
        router.retry_pending(self._now())

    def _on_trades(self, trades: list[dict[str, Any]]) -> None:
        router = self.router
        now = self._now()
        for raw in trades:
            router.offer(raw, now)

    def _on_positions(self, positions: list[dict[str, Any]]) -> None:
        closed = False
        for raw in positions:
            symbol = raw.get("symbol")
            if not isinstance(symbol, str):
                continue
            flat = not raw.get("contracts")
            if flat and symbol not in self._flat:
                closed = True
            (self._flat.add if flat else self._flat.discard)(symbol)
        if closed and any(t.status is OrderStatus.OPEN for t in self.router.watching()):
            self._last_poll = 0.0  # a position closed: check its orders now (liquidation, manual close)

    # --- supervisor ------------------------------------------------------------------------
    async def _supervise(self) -> None:
        while True:
            await self.clock.sleep(self.config.tick)
            try:
                await self._tick()
            except asyncio.CancelledError:
                raise
            except BrokerError as exc:
                log.warning("%s stream supervisor: %s", self.name, exc)
            except Exception:
                log.exception("stream supervisor tick failed")

    async def _tick(self) -> None:
        now = self._now()
        router = self.router
        if self._failing and self.connected():
            self._back()
        if router.pending:
            oldest = min(first for _, first in router.pending)
            if now - oldest >= self.config.pending_lookup_after:
                await self.resolve_pending()
            router.retry_pending(self._now(), force_older_than=self.config.pending_force_after)
        interval = self.config.safety_interval if self.up else self.config.poll_interval
        if now - self._last_poll >= interval:
            await self.poll()

    async def poll(self) -> int:
        """One REST pass over the orders still owed to the engine; returns fills delivered."""
        async with self._poll_lock:
            self._last_poll = self._now()
            self.polls += 1
            return await poll_once(self.lookup, self.clock)

    def listed(self, raws: list[dict[str, Any]]) -> None:
        """Both books were just listed (all symbols): check the orders owed to the engine against that
        listing, in the background (the caller does not wait), instead of listing them again; the
        next poll is one interval from now."""
        if not self._tasks:
            return  # not started: start() polls once the socket is up
        self._last_poll = self._now()
        self._tasks.append(spawn(self._poll_listing(raws), "ccxt-stream-listing"))

    async def _poll_listing(self, raws: list[dict[str, Any]]) -> None:
        try:
            async with self._poll_lock:
                self.polls += 1
                await poll_once(self.lookup, self.clock, listing=raws)
        except BrokerError as exc:
            log.warning("%s: poll after the order listing failed (%s); the supervisor retries",
                        self.name, exc)
            self._last_poll = 0.0
        except Exception:
            log.exception("poll after the order listing failed")
            self._last_poll = 0.0
        finally:
            task = asyncio.current_task()
            if task in self._tasks:
                self._tasks.remove(task)

    async def resolve_pending(self) -> None:
        """Unmatched trades: look up the triggered conditional orders of their symbols."""
        symbols = {raw.get("symbol") for raw, _ in self.router.pending}
        for tracked in self.router.watching():
            if tracked.conditional and tracked.child_id is None and tracked.symbol in symbols:
                await self.lookup.fetch_order(tracked.client_id, tracked.symbol)
        self.router.retry_pending(self._now())


async def poll_once(lookup: OrderLookup, clock: Clock, listing: list[dict[str, Any]] | None = None) -> int:
    """REST fallback: find orders that left the book or filled, and deliver their fills.
    ``listing``: every open order of both books, just fetched (the books are not listed again)."""
    router = lookup.router
    call, exchange = lookup.call, lookup.exchange
    watching = router.watching()
    if not watching:
        return 0
    before = router.delivered
    resting: set[str | None] = set()  # client ids of the orders on the books
    venue = lookup.venue
    need_plain = any(not t.conditional for t in watching) or not venue.separate_conditional_book
    need_conditional = venue.separate_conditional_book and any(t.conditional for t in watching)
    if listing is not None:
        need_plain = need_conditional = False
        for raw in listing:
            router.learn(raw)
            resting.add(raw.get("clientOrderId"))
    if need_plain:
        for raw in await call("poll open orders", exchange.fetch_open_orders):
            router.learn(raw)
            resting.add(raw.get("clientOrderId"))
    if need_conditional:
        for raw in await call("poll open trigger orders", exchange.fetch_open_orders, None, None,
                                     None, dict(venue.conditional_params)):
            router.learn(raw)
            resting.add(raw.get("clientOrderId"))
    now = clock.now().timestamp()
    for tracked in router.watching():
        if tracked.client_id in resting and tracked.reported >= tracked.filled:
            continue  # resting, nothing new
        order = await lookup.fetch_order(tracked.client_id, tracked.symbol)
        if order is None:
            if tracked.status is not OrderStatus.NEW:
                tracked.status = OrderStatus.CANCELLED  # the venue does not know it: nothing to report
            continue
        if order.filled_qty > tracked.reported:
            for raw in await lookup.trades_of(tracked.client_id, tracked.symbol, order.exchange_id):
                router.offer(raw, now, force=True)
        if order.status.is_final and tracked.reported < order.filled_qty:
            log.warning("%s: fills of %s not found yet (%s of %s reported)", venue.name, tracked.client_id,
                        tracked.reported, order.filled_qty)
    router.retry_pending(now)
    router.forget_settled()
    return router.delivered - before
