"""Start-up of the live broker: keys, position mode, margin and leverage, base-url rewrite."""

from __future__ import annotations

from decimal import Decimal

import pytest

from config.settings import ExchangeSettings
from engine.brokers.ccxt.client import make_exchange, rewrite_urls
from engine.brokers.ccxt.venues import venue_for
from engine.brokers.errors import AuthError, BrokerError, PositionModeError
from tests.engine.brokers.test_ccxt_helpers import BTC, ETH, make_broker, open_bracket, placed, running
from tests.fakes.binance import FakeBinance


async def test_start_with_good_keys_loads_markets_and_places_nothing():
    async with FakeBinance() as fake, running(fake) as (broker, _):
        spec = await broker.market(BTC)
        assert (spec.price_step, spec.qty_step, spec.min_qty, spec.min_notional) == (
            Decimal("0.1"), Decimal("0.001"), Decimal("0.001"), Decimal("100"))
        assert spec.max_leverage == 125
        assert (await broker.market("ETHUSDT")).symbol == ETH  # venue ids resolve too
        assert (await broker.market("ETH/USDT")).symbol == ETH
        assert broker.stream is not None and broker.stream.up
        assert placed(fake) == 0


async def test_start_without_keys_stops_with_a_clear_message_before_any_request():
    async with FakeBinance() as fake:
        broker = make_broker(fake, key="", secret="")
        with pytest.raises(AuthError, match="SP_EXCHANGE__API_KEY"):
            await broker.start()
        await broker.close()
        assert fake.requests == []


@pytest.mark.parametrize("key,secret", [("wrong-key-123456", "fake-secret"), ("fake-api-key", "wrong-secret-1234")])
async def test_refused_keys_stop_the_start_and_nothing_is_placed(key: str, secret: str):
    async with FakeBinance() as fake:
        broker = make_broker(fake, key=key, secret=secret)
        with pytest.raises(AuthError) as info:
            await broker.start()
        await broker.close()
        text = str(info.value)
        assert "refused the API keys" in text
        assert key not in text and secret not in text
        assert info.value.__cause__ is None and info.value.__suppress_context__
        assert placed(fake) == 0
        assert fake.count("POST /fapi/v1/listenKey") == 0  # no stream opened either


async def test_hedge_mode_of_a_flat_account_is_switched_to_one_way():
    async with FakeBinance() as fake:
        fake.exchange.set_dual(True)
        async with running(fake):
            assert fake.exchange.hedge is False
            assert fake.count("POST /fapi/v1/positionSide/dual") == 1


async def test_hedge_mode_with_a_position_is_refused_with_a_clear_message():
    async with FakeBinance() as fake:
        fake.exchange.set_dual(True)
        fake.exchange.place_order(symbol="BTCUSDT", side="BUY", type="MARKET", qty=Decimal("0.01"), price=None,
                                  tif="GTC", position_side="LONG", reduce_only=False, client_id="manual-1")
        broker = make_broker(fake)
        with pytest.raises(PositionModeError, match="hedge .* one-way mode"):
            await broker.start()
        await broker.close()
        assert fake.exchange.hedge is True
        assert placed(fake) == 0


async def test_prepare_sets_isolated_margin_and_leverage_within_the_bracket_once():
    async with FakeBinance() as fake, running(fake) as (broker, _):
        await broker.prepare(BTC, 200)  # above the first bracket (125x): clamped, not rejected
        assert fake.exchange.settings["BTCUSDT"].margin_type == "ISOLATED"
        assert fake.exchange.settings["BTCUSDT"].leverage == 125
        await broker.prepare(ETH, 7)
        assert (fake.exchange.settings["ETHUSDT"].margin_type, fake.exchange.settings["ETHUSDT"].leverage) == (
            "ISOLATED", 7)
        before = len(fake.requests)
        await broker.prepare(ETH, 7)
        assert len(fake.requests) == before  # already prepared: no request


async def test_prepare_again_with_margin_already_isolated_only_changes_leverage():
    async with FakeBinance() as fake, running(fake) as (broker, _):
        await broker.prepare(ETH, 5)
        await broker.prepare(ETH, 8)  # -4046 "No need to change margin type" is not an error
        assert fake.exchange.settings["ETHUSDT"].leverage == 8


async def test_resting_orders_of_an_earlier_run_are_known_after_start():
    async with FakeBinance() as fake:
        async with running(fake) as (broker, _):
            await open_bracket(broker)
        async with running(fake) as (broker, fills):
            orders = {o.client_id for o in await broker.open_orders()}
            assert orders == {"sp-p1-sl-0", "sp-p1-tp1-0", "sp-p1-tp2-0"}
            fake.set_price("BTCUSDT", "61000")
            from tests.engine.brokers.test_ccxt_helpers import wait_for
            assert await wait_for(lambda: [f.client_id for f in fills] == ["sp-p1-tp1-0"])


def test_base_url_replaces_rest_and_websocket_hosts_keeping_paths():
    urls = {"fapiPrivate": "https://fapi.binance.com/fapi/v1",
            "ws": {"linear": "wss://fstream.binance.com/ws", "ws-api": {"linear": "wss://ws-fapi.binance.com/ws-fapi/v1"}}}
    out = rewrite_urls(urls, "https://gateway.example:8443")
    assert out == {"fapiPrivate": "https://gateway.example:8443/fapi/v1",
                   "ws": {"linear": "wss://gateway.example:8443/ws",
                          "ws-api": {"linear": "wss://gateway.example:8443/ws-fapi/v1"}}}
    plain = rewrite_urls({"ws": "wss://fstream.binance.com/ws"}, "http://127.0.0.1:9000")
    assert plain == {"ws": "ws://127.0.0.1:9000/ws"}


async def test_testnet_uses_the_sandbox_hosts_and_base_url_wins_over_them():
    exchange = make_exchange(ExchangeSettings(testnet=True), pro=True)
    try:
        assert "binancefuture.com" in exchange.urls["api"]["fapiPrivate"]
        assert "binancefuture.com" in exchange.urls["api"]["ws"]["linear"]
    finally:
        await exchange.close()
    exchange = make_exchange(ExchangeSettings(testnet=True, base_url="http://127.0.0.1:1"), pro=True)
    try:
        assert exchange.urls["api"]["fapiPrivate"].startswith("http://127.0.0.1:1/")
        assert exchange.urls["api"]["ws"]["linear"] == "ws://127.0.0.1:1/ws"
    finally:
        await exchange.close()


def test_unknown_exchange_name_is_a_clear_error():
    with pytest.raises(BrokerError, match="SP_EXCHANGE__NAME='kraken' is not supported"):
        venue_for("kraken")
    assert venue_for("binance").name == "binanceusdm"
    assert venue_for("bybit").tested is False and venue_for("aster").tested is True
