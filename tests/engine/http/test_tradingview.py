"""TradingView webhooks over real HTTP on 127.0.0.1: a card in confirm mode, an entry in auto mode,
idempotent on ``id``, missing levels planned, the secret checked, clear 4xx for bad requests, rate limits."""

from __future__ import annotations

import json
from datetime import timedelta

import aiohttp

from engine.domain.events import PositionOpened, SignalRaised
from engine.domain.models import SignalStatus

SECRET = "tv-secret-0123456789"
HTTP = {"enabled": True, "port": 0}


async def hook_engine(engine_factory, mode: str = "confirm", **extra):  # type: ignore[no-untyped-def]
    engine = await engine_factory(http=HTTP, hooks={"tradingview_secret": SECRET, **extra},
                                  risk={"execution_mode": mode})
    await engine.step_market(1)
    return engine


def url(engine, secret: str = SECRET) -> str:  # type: ignore[no-untyped-def]
    return f"http://127.0.0.1:{engine.http.port}/hook/tradingview/{secret}"


async def post(engine, body: object, secret: str = SECRET, **kw) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    async with aiohttp.ClientSession() as session, session.post(url(engine, secret), data=data, **kw) as resp:
        return resp.status, await resp.json()


async def test_json_alert_becomes_a_card_with_planned_levels(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await hook_engine(engine_factory)
    raised: list[SignalRaised] = []
    engine.bus.subscribe(SignalRaised, raised.append)
    price = await engine.market.price("ETH/BTC")
    status, answer = await post(engine, {"symbol": "BINANCE:ETHBTC", "side": "buy", "id": "alert-1"})
    assert status == 201, answer
    assert answer["status"] == "raised" and answer["state"] == "raised" and answer["symbol"] == "ETH/BTC"
    sig = await engine.get_signal(answer["signal"])
    assert sig.source == "tradingview" and sig.entry >= price
    assert sig.stop < sig.entry < sig.targets[0].price  # planned by the planner like a scanner signal
    assert len(raised) == 1 and not raised[0].auto and raised[0].signal.id == sig.id
    # the same alert again: the same signal, nothing new raised
    status, again = await post(engine, {"symbol": "BINANCE:ETHBTC", "side": "buy", "id": "alert-1"})
    assert status == 200 and again["status"] == "duplicate" and again["signal"] == sig.id
    assert len(raised) == 1
    # the card is confirmed through the same path (and risk gate) as a scanner card
    result = await engine.confirm(sig.id, by="1")
    assert result.position is not None and result.position.symbol == "ETH/BTC"


async def test_plain_text_alert_in_auto_mode_opens_a_position(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await hook_engine(engine_factory, mode="auto")
    opened: list[PositionOpened] = []
    engine.bus.subscribe(PositionOpened, opened.append)
    price = await engine.market.price("LTC/BTC")
    stop = (price * 97 / 100).quantize(price)
    tps = [(price * k / 100).quantize(price) for k in (103, 105, 108)]
    body = f"long LTCBTC stop={stop} tp1={tps[0]} tp2={tps[1]} tp3={tps[2]} leverage=3 id=7"
    status, answer = await post(engine, body, headers={"Content-Type": "text/plain"})
    assert status == 201, answer
    assert answer["state"] == SignalStatus.CONFIRMED.value
    assert len(opened) == 1
    pos = opened[0].position
    assert pos.symbol == "LTC/BTC" and len(pos.targets) == 3 and sum(t.share for t in pos.targets) == 1
    assert pos.leverage == 3


async def test_wrong_secret_is_a_404_and_bad_bodies_get_reasons(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await hook_engine(engine_factory)
    status, answer = await post(engine, {"symbol": "ETHBTC", "side": "buy"}, secret="guess")
    assert status == 404 and answer == {"error": "not found"}
    status, answer = await post(engine, b"{not json")
    assert status == 400 and answer["field"] == "body" and "JSON" in answer["error"]
    status, answer = await post(engine, {"side": "buy"})
    assert status == 400 and answer == {"error": "symbol is missing", "field": "symbol"}
    status, answer = await post(engine, {"symbol": "ETHBTC", "side": "sideways"})
    assert status == 400 and answer["field"] == "side"
    status, answer = await post(engine, {"symbol": "NOPEBTC", "side": "sell"})
    assert status == 422 and "unknown symbol" in answer["error"]
    price = await engine.market.price("ETH/BTC")
    status, answer = await post(engine, {"symbol": "ETHBTC", "side": "buy", "stop": str(price * 2)})
    assert status == 422 and answer["field"] == "stop"  # a long's stop above the price: refused, not guessed
    status, answer = await post(engine, b"x" * (17 * 1024))
    assert status == 413 and "larger than" in answer["error"]
    async with aiohttp.ClientSession() as session, session.get(url(engine)) as resp:
        assert resp.status == 405 and "GET" in (await resp.json())["error"]
    async with aiohttp.ClientSession() as session, session.get(
            f"http://127.0.0.1:{engine.http.port}/nowhere") as resp:
        assert resp.status == 404
    assert await engine.repository.signals_with_status(SignalStatus.RAISED) == []


async def test_rate_limited_per_source(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await hook_engine(engine_factory, rate_per_min=2)
    codes = [(await post(engine, {"symbol": "ETHBTC", "side": "buy", "id": str(i)}))[0] for i in range(3)]
    assert codes == [201, 201, 429]
    async with aiohttp.ClientSession() as session, session.post(
            url(engine), data=json.dumps({"symbol": "ETHBTC", "side": "buy", "id": "9"})) as resp:
        assert resp.status == 429 and int(resp.headers["Retry-After"]) >= 1
    engine.clock.set(engine.clock.now() + timedelta(seconds=60))  # type: ignore[attr-defined]
    assert (await post(engine, {"symbol": "ETHBTC", "side": "buy", "id": "10"}))[0] == 201


async def test_without_a_secret_the_route_does_not_exist(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await engine_factory(http=HTTP)
    status, _ = await post(engine, {"symbol": "ETHBTC", "side": "buy"}, secret="anything")
    assert status == 404
