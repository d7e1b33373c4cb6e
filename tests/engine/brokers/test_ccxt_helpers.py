"""Shared parts for the live-adapter tests: a fake Binance, a broker pointed at it, waiting helpers.

The broker is the real ``CcxtBroker`` built by ``build_broker`` from ``ExchangeSettings`` with
``base_url`` = the fake's address, so the real ccxt client talks HTTP/websocket to the fake.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal

from pydantic import SecretStr

from config.settings import ExchangeSettings
from engine.brokers.ccxt import CcxtBroker, StreamConfig, build_broker
from engine.clock import LiveClock
from engine.domain.models import Fill, OrderRequest, OrderType
from engine.domain.values import OrderAction
from tests.fakes.binance import FakeBinance

D = Decimal
BUY, SELL = OrderAction.BUY, OrderAction.SELL
BTC = "BTC/USDT:USDT"
ETH = "ETH/USDT:USDT"

FAST = StreamConfig(poll_interval=0.3, safety_interval=30.0, backoff_start=0.05, backoff_max=0.2, tick=0.05,
                    pending_lookup_after=0.3, pending_force_after=2.0, connect_timeout=3.0)


def settings_for(fake: FakeBinance, key: str | None = None, secret: str | None = None,
                 **extra: object) -> ExchangeSettings:
    key = fake.api_key if key is None else key
    secret = fake.secret if secret is None else secret
    return ExchangeSettings(name="binanceusdm", api_key=SecretStr(key) if key else None,
                            api_secret=SecretStr(secret) if secret else None, base_url=fake.http_base,
                            **extra)


def make_broker(fake: FakeBinance, *, streams: bool = True, config: StreamConfig = FAST,
                timeout_ms: int = 1000, **kw: object) -> CcxtBroker:
    return build_broker(settings_for(fake, **kw), LiveClock(), streams=streams, stream_config=config,
                        rate_limit=False, timeout_ms=timeout_ms)


@asynccontextmanager
async def running(fake: FakeBinance, **kw: object) -> AsyncIterator[tuple[CcxtBroker, list[Fill]]]:
    """A started broker whose fills are collected in the yielded list."""
    broker = make_broker(fake, **kw)
    fills: list[Fill] = []
    broker.on_fill(fills.append)
    try:
        await broker.start()
        yield broker, fills
    finally:
        await broker.close()


def entry(client_id: str = "sp-p1-en-0", qty: str = "0.010", symbol: str = BTC) -> OrderRequest:
    return OrderRequest(client_id, symbol, BUY, OrderType.MARKET, D(qty))


def stop(client_id: str = "sp-p1-sl-0", qty: str = "0.010", trigger: str = "59000", symbol: str = BTC) -> OrderRequest:
    return OrderRequest(client_id, symbol, SELL, OrderType.STOP_MARKET, D(qty), trigger_price=D(trigger),
                        reduce_only=True)


def target(client_id: str, qty: str, price: str, symbol: str = BTC) -> OrderRequest:
    return OrderRequest(client_id, symbol, SELL, OrderType.TAKE_PROFIT, D(qty), price=D(price), reduce_only=True)


async def open_bracket(broker: CcxtBroker, pid: str = "p1", symbol: str = BTC, qty: str = "0.010",
                       stop_at: str = "59000", tps: tuple[str, str] = ("61000", "62000")) -> None:
    """A market entry, then a reduce-only stop and two take-profits of half the quantity each."""
    half = str(D(qty) / 2)
    await broker.prepare(symbol, 10)
    await broker.place_order(entry(f"sp-{pid}-en-0", qty, symbol))
    await broker.place_order(stop(f"sp-{pid}-sl-0", qty, stop_at, symbol))
    await broker.place_order(target(f"sp-{pid}-tp1-0", half, tps[0], symbol))
    await broker.place_order(target(f"sp-{pid}-tp2-0", half, tps[1], symbol))


async def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``predicate`` until true; False after ``timeout`` (a hang guard: a loaded CI machine is slow)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


def placed(fake: FakeBinance) -> int:
    """Order placements the fake received (regular and algo)."""
    return fake.count("POST /fapi/v1/order") + fake.count("POST /fapi/v1/algoOrder")
