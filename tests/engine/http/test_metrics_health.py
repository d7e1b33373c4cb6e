"""/metrics in Prometheus text format (parsed with prometheus_client's own parser) after a real trade,
REST and rate-limit counts from the ccxt layer against the fake exchange, /healthz and /readyz."""

from __future__ import annotations

import json
from datetime import timedelta

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from engine.brokers.ccxt.counters import RATE_LIMITS, REST_CALLS
from engine.brokers.errors import RateLimited
from engine.domain.events import VenueUnreachable
from engine.market.base import PriceTick
from tests.engine.brokers.test_ccxt_helpers import entry, running
from tests.engine.http.test_tradingview import HTTP, SECRET, post
from tests.fakes.binance import FakeBinance


async def get(engine, path: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{engine.http.port}{path}") as r:
        return r.status, await r.text()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(found: dict, name: str, **labels: str) -> float:  # type: ignore[type-arg]
    return found[(name, tuple(sorted(labels.items())))]


async def test_metrics_after_a_trade(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await engine_factory(http=HTTP, hooks={"tradingview_secret": SECRET},
                                  risk={"execution_mode": "auto"})
    engine.watch_queue("telegram", lambda: 3, lambda: 7)
    await engine.step_market(1)
    status, answer = await post(engine, {"symbol": "ETHBTC", "side": "buy", "id": "m1"})
    assert status == 201 and answer["state"] == "confirmed"
    assert (await post(engine, {"symbol": "ETHBTC", "side": "buy", "id": "m1"}))[0] == 200
    assert (await post(engine, {"side": "buy"}))[0] == 400
    assert (await post(engine, {"symbol": "ETHBTC", "side": "buy"}, secret="wrong"))[0] == 404
    sig = await engine.get_signal(answer["signal"])
    await engine.on_tick(PriceTick(sig.symbol, sig.targets[0].price, engine.clock.now()))
    status, text = await get(engine, "/metrics")
    assert status == 200
    found = samples(text)
    assert value(found, "signalpilot_open_positions") == 1
    assert value(found, "signalpilot_equity") > 0
    assert value(found, "signalpilot_realized_pnl") == 0  # the position is still open
    assert value(found, "signalpilot_signals_total", source="tradingview", outcome="raised") == 1
    assert value(found, "signalpilot_signals_total", source="tradingview", outcome="confirmed") == 1
    assert value(found, "signalpilot_signals_total", source="tradingview", outcome="duplicate") == 1
    assert value(found, "signalpilot_signals_total", source="tradingview", outcome="invalid") == 1
    assert value(found, "signalpilot_webhook_bad_secret_total") == 1
    assert value(found, "signalpilot_orders_total", result="placed", reason="") >= 3  # entry, stop, targets
    assert value(found, "signalpilot_fills_total", leg="en") == 1
    assert value(found, "signalpilot_fills_total", leg="tp") == 1
    assert value(found, "signalpilot_tick_to_action_seconds_count") == 1  # the tick that hit TP1
    assert value(found, "signalpilot_frontend_queue_depth", frontend="telegram") == 3
    assert value(found, "signalpilot_frontend_retries_total", frontend="telegram") == 7
    assert ("signalpilot_event_loop_lag_seconds", ()) in found


async def test_rest_requests_and_rate_limits_are_counted() -> None:
    async with FakeBinance() as fake, running(fake) as (broker, _):
        before = dict(REST_CALLS)
        limits = RATE_LIMITS["binanceusdm"]
        await broker.open_orders()
        grew = {k: v - before.get(k, 0) for k, v in REST_CALLS.items() if v != before.get(k, 0)}
        assert grew[("binanceusdm", "GET", "/fapi/v1/openOrders")] == 1
        fake.inject("POST /fapi/v1/order", "rate_limit")
        with pytest.raises(RateLimited):
            await broker.place_order(entry())
        assert RATE_LIMITS["binanceusdm"] == limits + 1


async def test_health_and_readiness(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await engine_factory(http=HTTP)
    status, text = await get(engine, "/healthz")
    assert status == 200 and json.loads(text)["status"] == "ok"
    status, text = await get(engine, "/readyz")
    body = json.loads(text)
    assert status == 503 and body["ready"] is False
    assert body["checks"]["database"]["ok"] and body["checks"]["venue"]["ok"]
    assert body["checks"]["market_data"] == {"ok": False, "error": "no price yet"}
    await engine.step_market(1)
    status, text = await get(engine, "/readyz")
    assert status == 200 and json.loads(text)["ready"] is True
    engine.clock.set(engine.clock.now() + timedelta(minutes=10))  # no candle for ten minutes
    status, text = await get(engine, "/readyz")
    assert status == 503 and json.loads(text)["checks"]["market_data"]["ok"] is False
    await engine.step_market(1)
    engine.venue_down = VenueUnreachable(ts=engine.clock.now(), paper=True, venue="binanceusdm",
                                         since=engine.clock.now(), detail="timeout", retry_in=2.0)
    status, text = await get(engine, "/readyz")
    checks = json.loads(text)["checks"]
    assert status == 503 and checks["venue"]["ok"] is False and "down_since" in checks["venue"]
