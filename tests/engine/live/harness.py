"""The live engine against a FakeBinance, for the end-to-end and crash tests (and bench/bench_crash.py).

``live_settings`` gives ``Settings(mode="live", market.source="live", exchange.base_url=<fake>)``;
``build_live_engine`` builds the engine with ``engine.wiring.build`` and the same factories the
production path uses (``build_broker``, ``build_live_market``: the real ccxt / ccxt.pro clients),
only with ccxt's client-side rate limiter off, short stream intervals, a short HTTP timeout and no
linger on close, so that tests run in seconds. ``EventLog`` waits for engine events with a bound; ``audit`` compares
the database with the fake venue (duplicates, positions without a stop, fills, positions).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from config.settings import Settings
from engine.brokers.ccxt import StreamConfig, build_broker, build_live_market
from engine.clock import Clock, LiveClock
from engine.domain.events import Event
from engine.domain.models import Position
from engine.facade import Engine
from engine.wiring import build

D = Decimal
BTC = "BTC/USDT:USDT"
ETH = "ETH/USDT:USDT"
VENUE_ID = {BTC: "BTCUSDT", ETH: "ETHUSDT", "XRP/USDT:USDT": "XRPUSDT"}

FAST_STREAM = StreamConfig(poll_interval=0.3, safety_interval=5.0, backoff_start=0.05, backoff_max=0.3, tick=0.05,
                           pending_lookup_after=0.3, pending_force_after=2.0, connect_timeout=3.0)


# many short lifecycles in a few seconds: no order-rate, daily-loss or drawdown brake
CHURN = {"max_orders_per_min": 100_000, "daily_loss_limit_pct": 0, "max_drawdown_pct": 0}


def live_settings(base_url: str, db_url: str, *, api_key: str = "fake-api-key", api_secret: str = "fake-secret",
                  **sections: dict[str, Any]) -> Settings:
    """A live engine's settings: the fake venue's url, a small universe, one short timeframe."""
    base: dict[str, Any] = {
        "mode": "live",
        "exchange": {"api_key": api_key, "api_secret": api_secret, "base_url": base_url},
        "market": {"source": "live"},
        "database": {"url": db_url},
        "scan": {"symbols": [BTC, ETH], "timeframes": ["5m"], "candles": 60},
        "plan": {"min_leverage": 5},  # on-demand signals score low: 5x lets two positions share the margin
        "telegram": {"token": None},
    }
    for name, values in sections.items():
        base[name] = {**base.get(name, {}), **values} if isinstance(values, dict) else values
    return Settings(_env_file=None, **base)  # type: ignore[call-arg]


class ShiftedClock(LiveClock):
    """Wall-clock time moved forward by the test (``shift``): a limit entry's 15-minute timeout is
    reached at once, everything else keeps running on real time."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return super().now() + self.offset

    def shift(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


async def build_live_engine(settings: Settings, *, stream: StreamConfig = FAST_STREAM,
                            timeout_ms: int = 2000, clock: Clock | None = None) -> Engine:
    """The live engine, as ``Engine.create`` builds it, with test-speed knobs on the ccxt clients
    (``clock``: e.g. a ``ShiftedClock``; default wall-clock time)."""
    clock = clock or LiveClock()
    market = build_live_market(settings.exchange, clock, poll_seconds=0.5, rate_limit=False)
    broker = build_broker(settings.exchange, clock, stream_config=stream, rate_limit=False, timeout_ms=timeout_ms)
    for exchange in (market.exchange, broker.exchange):
        exchange.timeout_on_exit = 0  # ccxt waits 250 ms in close() for TLS sockets; plain http here
    return Engine(await build(settings, clock=clock, market=market, broker=broker))


class EventLog:
    """Every event the engine publishes, with a bounded wait for the one a test expects."""

    def __init__(self, engine: Engine) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Event()
        engine.bus.subscribe(Event, self._on)

    def _on(self, event: Event) -> None:
        self.events.append(event)
        self._changed.set()

    def of(self, kind: type[Event]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    async def wait_for(self, kind: type[Event], where: Callable[[Any], bool] = lambda e: True,
                       timeout: float = 30.0) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = next((e for e in self.events if isinstance(e, kind) and where(e)), None)
            if found is not None:
                return found
            left = deadline - loop.time()
            if left <= 0:
                names = [type(e).__name__ for e in self.events]
                raise TimeoutError(f"no {kind.__name__} within {timeout}s; events: {names}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=left)
            except TimeoutError:
                pass


async def until(check: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    """Poll ``check`` (cheap, synchronous: e.g. the fake's state) until true, or fail after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() >= deadline:
            raise TimeoutError(f"{what} not reached within {timeout}s")
        await asyncio.sleep(0.01)


# --- the fake venue seen as our orders ----------------------------------------------------------------
def client_id_of_trade(fake: Any, trade: Any) -> str:
    """Our client id for a trade on the fake (a triggered algo order's child maps to the algo's id)."""
    order = fake.orders[trade.order_id]
    if order.algo_id is not None:
        return fake.algo_orders[order.algo_id].client_algo_id
    return order.client_id


def resting_stops(fake: Any, venue_symbol: str) -> list[Any]:
    return [a for a in fake.algo_orders.values()
            if a.symbol == venue_symbol and a.is_open and a.is_stop and (a.reduce_only or a.close_position)]


@dataclass
class Audit:
    """Where the database and the venue disagree (every list empty: they agree)."""

    duplicate_client_ids: list[str] = field(default_factory=list)
    unprotected: list[str] = field(default_factory=list)  # venue positions without a resting stop
    stop_too_small: list[str] = field(default_factory=list)  # resting stops covering less than the position
    extra_stops: list[str] = field(default_factory=list)  # more than one resting stop for a symbol
    missing_fills: list[str] = field(default_factory=list)  # venue trades of ours not in the database
    unknown_fills: list[str] = field(default_factory=list)  # database fills the venue does not have
    position_mismatch: list[str] = field(default_factory=list)  # symbol: database vs venue quantity
    orders: int = 0
    trades: int = 0

    @property
    def ok(self) -> bool:
        return not (self.duplicate_client_ids or self.unprotected or self.stop_too_small or self.extra_stops
                    or self.missing_fills or self.unknown_fills or self.position_mismatch)


async def audit(fake: Any, engine: Engine) -> Audit:
    """Compare the engine's database with the fake venue."""
    report = Audit()
    seen: dict[str, int] = {}
    for order in fake.orders.values():
        if order.algo_id is None and order.client_id.startswith("sp-"):
            seen[order.client_id] = seen.get(order.client_id, 0) + 1
    for algo in fake.algo_orders.values():
        if algo.client_algo_id.startswith("sp-"):
            seen[algo.client_algo_id] = seen.get(algo.client_algo_id, 0) + 1
    report.orders = len(seen)
    report.duplicate_client_ids = sorted(cid for cid, n in seen.items() if n > 1)

    for (symbol, _side), pos in fake.positions.items():
        stops = resting_stops(fake, symbol)
        if not stops:
            report.unprotected.append(f"{symbol} {pos.amt}")
        elif not any(s.close_position or s.qty >= abs(pos.amt) for s in stops):
            report.stop_too_small.append(f"{symbol} {pos.amt} stops {[str(s.qty) for s in stops]}")
        if len(stops) > 1:
            report.extra_stops.append(f"{symbol}: {[s.client_algo_id for s in stops]}")

    venue_fills = {}
    for trade in fake.trades:
        cid = client_id_of_trade(fake, trade)
        if cid.startswith("sp-"):
            venue_fills[(cid, f"{_unified(trade.symbol)}#{trade.trade_id}")] = (trade.qty, trade.price)
    report.trades = len(venue_fills)
    db_fills = {key: value for key, value in (await _all_fills(engine)).items() if key[0].startswith("sp-")}
    report.missing_fills = sorted(f"{cid} {tid}" for cid, tid in set(venue_fills) - set(db_fills))
    report.unknown_fills = sorted(f"{cid} {tid}" for cid, tid in set(db_fills) - set(venue_fills))
    for key in set(venue_fills) & set(db_fills):
        if venue_fills[key] != db_fills[key]:
            report.unknown_fills.append(f"{key}: venue {venue_fills[key]} database {db_fills[key]}")

    db_amounts: dict[str, Decimal] = {}
    for pos in await engine.repository.open_positions():
        db_amounts[VENUE_ID[pos.symbol]] = db_amounts.get(VENUE_ID[pos.symbol], D(0)) + signed(pos)
    venue_amounts = {symbol: p.amt for (symbol, _), p in fake.positions.items()}
    for symbol in set(db_amounts) | set(venue_amounts):
        ours, theirs = db_amounts.get(symbol, D(0)), venue_amounts.get(symbol, D(0))
        if ours != theirs:
            report.position_mismatch.append(f"{symbol}: database {ours} venue {theirs}")
    return report


def signed(pos: Position) -> Decimal:
    return pos.remaining * pos.side.sign


def _unified(venue_symbol: str) -> str:
    return next(sym for sym, vid in VENUE_ID.items() if vid == venue_symbol)


async def _all_fills(engine: Engine) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    """Every fill in the database: (client id, trade id) → (qty, price)."""
    from sqlmodel import select

    from engine.storage.tables import FillRow

    async with engine.database.session() as session:
        rows = (await session.exec(select(FillRow))).all()
    return {(r.client_id, r.trade_id): (D(r.qty), D(r.price)) for r in rows}


async def open_position(engine: Engine, log: EventLog, fake: Any, symbol: str = BTC) -> Position:
    """Analyse and confirm ``symbol``; returns the position once its stop and targets rest on the venue."""
    from engine.domain.events import PositionOpened

    sig = await engine.analyse(symbol)
    assert sig is not None, f"no signal for {symbol}"
    result = await engine.confirm(sig.id, by="1")
    assert result.position is not None, result
    pid = result.position.id
    event = await log.wait_for(PositionOpened, lambda e: e.position.id == pid)
    await until(lambda: len([a for a in fake.algo_orders.values()
                             if a.is_open and a.client_algo_id.startswith(f"sp-{pid}-")]) == 3,
                what=f"stop and targets of {pid} resting")
    return event.position
