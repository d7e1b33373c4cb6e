"""An exchange that cannot be reached at start: the engine starts anyway (database, settings,
status), says so once, retries with a doubling delay capped at a minute on its own clock, and
once the exchange answers loads markets, reconciles and resumes scanning — paper on live data
and live mode alike. Keys refused once it answers stop the engine with a reason."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from config.settings import Settings
from engine.brokers.ccxt import build_broker, build_live_market
from engine.brokers.errors import AuthError
from engine.domain.events import EngineError, VenueConnected, VenueUnreachable
from engine.domain.reasons import ErrorCode
from engine.facade import Engine
from engine.wiring import build
from tests.clocks import SteppedClock
from tests.engine.live.harness import FAST_STREAM, EventLog
from tests.fakes.binance import FakeBinance

BTC = "BTC/USDT:USDT"
RECONNECT = "venue-reconnect"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _settings(port: int, db: Path, *, live: bool) -> Settings:
    extra: dict[str, Any] = {"mode": "live", "exchange": {"base_url": f"http://127.0.0.1:{port}",
                                                          "api_key": "fake-api-key", "api_secret": "fake-secret"}} \
        if live else {"mode": "paper", "exchange": {"base_url": f"http://127.0.0.1:{port}"}}
    return Settings(_env_file=None, market={"source": "live"}, scan={"symbols": [BTC], "timeframes": ["5m"], "candles": 60},
                    database={"url": f"sqlite+aiosqlite:///{db}"}, **extra)  # type: ignore[arg-type]


async def _engine(settings: Settings, clock: SteppedClock) -> Engine:
    market = build_live_market(settings.exchange, clock, rate_limit=False)  # type: ignore[arg-type]
    broker = None
    if not settings.paper:
        broker = build_broker(settings.exchange, clock, stream_config=FAST_STREAM, rate_limit=False,  # type: ignore[arg-type]
                              timeout_ms=2000)
        broker.exchange.timeout_on_exit = 0
    market.exchange.timeout_on_exit = 0
    return Engine(await build(settings, clock=clock, market=market, broker=broker))


async def _retry_until_up(clock: SteppedClock, fake: FakeBinance, port: int, failures: int) -> list[float]:
    """Let ``failures`` retries fail, then bring the exchange up and let the next one through."""
    delays = []
    for attempt in range(failures + 1):
        delays.append(await clock.sleeper(RECONNECT))  # the attempt before has failed
        if attempt == failures:
            await fake.start(port)
        clock.advance(delays[-1])
    return delays


async def test_paper_on_live_data_starts_without_the_exchange_and_resumes_when_it_answers(tmp_path: Path) -> None:
    port = free_port()
    clock = SteppedClock(datetime.now(UTC))
    engine = await _engine(_settings(port, tmp_path / "p.db", live=False), clock)
    events = EventLog(engine)
    fake = FakeBinance()
    try:
        await engine.start(run_feed=False, run_jobs=False)  # returns: the exchange is not needed to start
        [down] = events.of(VenueUnreachable)
        assert down.since == clock.now() and down.venue == "binanceusdm" and down.detail
        status = await engine.status()
        assert status.venue_down_since == down.since
        assert status.balance is not None and status.balance.equity == Decimal("10000")  # the paper account
        assert engine.next_scan_at() is None  # nothing scans without market data

        delays = await _retry_until_up(clock, fake, port, failures=7)
        assert delays == [2, 4, 8, 16, 32, 60, 60, 60]  # doubling, capped at a minute
        up = await events.wait_for(VenueConnected, timeout=15)
        assert len(events.of(VenueUnreachable)) == 1  # told once, not at every retry
        assert up.down_since == down.since and up.markets == 3
        assert engine.venue_down is None and (await engine.status()).venue_down_since is None
        assert engine.next_scan_at() is not None  # the scan job is scheduled again
        assert (await engine.scan_now()).symbols == 1
        assert fake.count("/fapi/v1/klines") > 0
        assert [r for r in fake.requests if "signature" in (r.params or {})] == []  # paper: no account call
    finally:
        await engine.stop()
        await fake.close()


async def test_live_mode_reconciles_with_the_exchange_once_it_answers(tmp_path: Path) -> None:
    port = free_port()
    clock = SteppedClock(datetime.now(UTC))
    engine = await _engine(_settings(port, tmp_path / "l.db", live=True), clock)
    events = EventLog(engine)
    fake = FakeBinance()
    try:
        await engine.start(run_feed=False, run_jobs=False)
        assert engine.venue_down is not None and not engine.broker.started
        status = await engine.status()
        assert status.balance is None and status.venue_down_since is not None  # no request while it is down
        await _retry_until_up(clock, fake, port, failures=2)
        up = await events.wait_for(VenueConnected, timeout=15)
        assert up.markets == 3 and engine.broker.started
        assert fake.count("/fapi/v3/account") >= 1  # keys checked, balance read
        assert fake.count("/fapi/v1/openOrders") >= 1  # reconciled with the venue's orders
        assert (await engine.status()).balance.equity == Decimal("10000")  # type: ignore[union-attr]
        assert engine.venue_failure is None and not engine.failed.is_set()
    finally:
        await engine.stop()
        await fake.close()


async def test_keys_refused_once_the_exchange_answers_stop_the_engine(tmp_path: Path) -> None:
    port = free_port()
    clock = SteppedClock(datetime.now(UTC))
    engine = await _engine(_settings(port, tmp_path / "k.db", live=True), clock)
    events = EventLog(engine)
    fake = FakeBinance(api_key="another-key")
    try:
        await engine.start(run_feed=False, run_jobs=False)
        await _retry_until_up(clock, fake, port, failures=0)
        error = await events.wait_for(EngineError, timeout=15)
        assert error.code is ErrorCode.AUTH
        assert engine.failed.is_set() and isinstance(engine.venue_failure, AuthError)
        assert events.of(VenueConnected) == [] and fake.orders == {}
        assert [s for name, s in clock.sleeps if name == RECONNECT] == [2]  # no more retries
    finally:
        await engine.stop()
        await fake.close()


REGION_BLOCK = {"code": 0, "msg": "Service unavailable from a restricted location according to 'b. Eligibility' "
                                  "in https://www.binance.com/en/terms."}


async def test_maintenance_and_a_region_block_are_unreachable_not_fatal(tmp_path: Path) -> None:
    """503 (maintenance) from the fake, then 451 (Binance's region block) from a bare server: both
    leave the engine running and retrying; it connects once the real venue answers."""
    from aiohttp import web

    async with FakeBinance() as fake:
        fake.inject("*", "error503", count=10_000)
        clock = SteppedClock(datetime.now(UTC))
        engine = await _engine(_settings(fake.port, tmp_path / "m.db", live=False), clock)
        events = EventLog(engine)
        try:
            await engine.start(run_feed=False, run_jobs=False)
            assert len(events.of(VenueUnreachable)) == 1 and not engine.failed.is_set()
            fake.faults.armed.clear()  # maintenance over
            clock.advance(await clock.sleeper(RECONNECT))
            await events.wait_for(VenueConnected, timeout=15)
        finally:
            await engine.stop()

    async def blocked(request: web.Request) -> web.Response:
        return web.json_response(REGION_BLOCK, status=451)

    app = web.Application()
    app.router.add_route("*", "/{path:.*}", blocked)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    clock = SteppedClock(datetime.now(UTC))
    engine = await _engine(_settings(port, tmp_path / "r.db", live=True), clock)
    events = EventLog(engine)
    try:
        await engine.start(run_feed=False, run_jobs=False)
        [down] = events.of(VenueUnreachable)
        assert "restricted location" in down.detail
        clock.advance(await clock.sleeper(RECONNECT))
        await clock.sleeper(RECONNECT)  # still blocked: retried, not given up
        assert not engine.failed.is_set() and len(events.of(VenueUnreachable)) == 1
    finally:
        await engine.stop()
        await runner.cleanup()
