"""The fake Binance USDⓈ-M venue, exercised through the real ccxt 4.5 client over HTTP/websockets.

These tests pin two things the adapter team relies on: the fake behaves like the venue
(orders, algo orders, positions, fees, errors), and ccxt parses what it says into the same
structures and exception classes the adapter will see.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import ccxt
import pytest

from tests.fakes.binance import FakeBinance, SymbolSpec, make_client

BTC = "BTC/USDT:USDT"
XRP = "XRP/USDT:USDT"
SAMPLE = Path(__file__).resolve().parents[2] / "engine" / "market" / "sample" / "ETH_BTC-5m.csv"


@pytest.fixture
async def fake():
    async with FakeBinance() as venue:
        yield venue


@pytest.fixture
async def ex(fake):
    client = make_client(fake)
    await client.load_markets()
    yield client
    await client.close()


def sent(fake: FakeBinance, method: str, path: str) -> list[dict]:
    return [r.params for r in fake.requests if r.method == method and r.path == path]


# ------------------------------------------------------------------ market data
async def test_load_markets_parses_precision_and_limits(fake, ex):
    btc, xrp = ex.market(BTC), ex.market(XRP)
    assert (btc["id"], btc["swap"], btc["linear"], btc["settle"]) == ("BTCUSDT", True, True, "USDT")
    assert btc["precision"]["amount"] == 0.001 and btc["precision"]["price"] == 0.1
    assert btc["limits"]["amount"]["min"] == 0.001 and btc["limits"]["cost"]["min"] == 100
    assert btc["limits"]["market"]["max"] == 120
    assert xrp["precision"]["amount"] == 0.1 and xrp["precision"]["price"] == 0.0001
    assert xrp["limits"]["cost"]["min"] == 5
    assert ex.amount_to_precision(BTC, 0.0123456) == "0.012"
    assert fake.count("/fapi/v1/exchangeInfo") == 1
    assert not any(r.path.startswith(("/sapi", "/api")) for r in fake.requests)  # no spot wallet calls


async def test_ticker_and_mark_price_follow_set_price(fake, ex):
    fake.set_price("BTCUSDT", "61000", mark="60990")
    ticker = await ex.fetch_ticker(BTC)
    assert ticker["last"] == 61000 and ticker["high"] == 61000 and ticker["open"] == 60000
    mark = await ex.fetch_mark_price(BTC)
    assert mark["markPrice"] == 60990


async def test_fetch_ohlcv_serves_loaded_real_candles():
    spec = SymbolSpec("ETHBTC", "ETH", Decimal("0.0984"), Decimal("0.00001"), Decimal("0.001"),
                      Decimal("0.001"), Decimal("100000"), Decimal("10000"), Decimal("0.001"), quote="BTC",
                      min_price=Decimal("0.00001"))
    async with FakeBinance([spec]) as venue:
        loaded = venue.load_klines_csv("ETHBTC", "5m", SAMPLE)
        client = make_client(venue)
        try:
            candles = await client.fetch_ohlcv("ETH/BTC:BTC", "5m", since=1515560100000, limit=3)
            latest = await client.fetch_ohlcv("ETH/BTC:BTC", "5m", limit=2)
        finally:
            await client.close()
    assert loaded > 5000
    assert candles[0] == [1515560100000, 0.0984, 0.0994766, 0.09828605, 0.0994766, 1820.544474]
    assert [c[0] for c in candles] == [1515560100000, 1515560400000, 1515560700000]
    assert latest[-1][0] > candles[-1][0]


# ------------------------------------------------------------------ account settings
async def test_set_leverage_changes_margin_and_respects_bracket(fake, ex):
    assert (await ex.set_leverage(10, BTC))["leverage"] == 10
    assert (await ex.fetch_leverage(BTC))["longLeverage"] == 10
    with pytest.raises(ccxt.BadRequest, match="-4028"):
        await ex.set_leverage(100, XRP)  # XRPUSDT tops out at 75x
    await ex.create_order(BTC, "market", "buy", 0.01)
    [position] = await ex.fetch_positions([BTC])
    assert position["initialMargin"] == pytest.approx(60.0)  # 600 notional / 10x


async def test_set_margin_mode_twice_raises_margin_mode_already_set(fake, ex):
    await ex.set_margin_mode("isolated", BTC)
    assert (await ex.fetch_margin_mode(BTC))["marginMode"] == "isolated"
    with pytest.raises(ccxt.MarginModeAlreadySet):
        await ex.set_margin_mode("isolated", BTC)
    await ex.create_order(BTC, "market", "buy", 0.01)
    with pytest.raises(ccxt.OperationRejected, match="-4048"):
        await ex.set_margin_mode("cross", BTC)
    [position] = await ex.fetch_positions([BTC])
    assert position["marginMode"] == "isolated"


async def test_position_mode_switch_and_hedge_orders(fake, ex):
    assert (await ex.fetch_position_mode())["hedged"] is False
    await ex.set_position_mode(True)
    assert (await ex.fetch_position_mode())["hedged"] is True
    with pytest.raises(ccxt.OperationRejected, match="-4059"):
        await ex.set_position_mode(True)
    with pytest.raises(ccxt.OperationRejected, match="-4061"):
        await ex.create_order(BTC, "market", "buy", 0.01)  # one-way order in hedge mode
    await ex.create_order(BTC, "market", "buy", 0.01, params={"hedged": True})
    await ex.create_order(BTC, "market", "sell", 0.02, params={"hedged": True})
    sides = {(p["side"], p["contracts"]) for p in await ex.fetch_positions([BTC])}
    assert sides == {("long", 0.01), ("short", 0.02)}
    with pytest.raises(ccxt.OperationRejected, match="-4068"):
        await ex.set_position_mode(False)


# ------------------------------------------------------------------ regular orders
async def test_market_order_fills_at_price_with_client_order_id(fake, ex):
    order = await ex.create_order(BTC, "market", "buy", 0.01, params={"clientOrderId": "entry-1"})
    assert order["clientOrderId"] == "entry-1" and order["status"] == "closed"
    assert order["filled"] == 0.01 and order["average"] == 60000
    [request] = sent(fake, "POST", "/fapi/v1/order")
    assert request["newClientOrderId"] == "entry-1" and "timestamp" in request and "signature" not in request
    again = await ex.fetch_order(None, BTC, params={"clientOrderId": "entry-1"})
    assert again["id"] == order["id"] and again["status"] == "closed"
    [trade] = await ex.fetch_my_trades(BTC)
    assert trade["order"] == order["id"] and trade["fee"]["cost"] == pytest.approx(0.24)  # 0.04% taker


async def test_duplicate_client_order_id_rejected_only_while_open(fake, ex):
    await ex.create_order(BTC, "limit", "buy", 0.01, 59000, params={"clientOrderId": "dup"})
    with pytest.raises(ccxt.ExchangeError, match="-4116"):
        await ex.create_order(BTC, "limit", "buy", 0.01, 59000, params={"clientOrderId": "dup"})
    await ex.cancel_all_orders(BTC)
    reused = await ex.create_order(BTC, "market", "buy", 0.01, params={"clientOrderId": "dup"})
    assert reused["status"] == "closed"


async def test_limit_order_rests_then_fills_as_maker_when_crossed(fake, ex):
    order = await ex.create_order(BTC, "limit", "buy", 0.01, 59000)
    assert [o["id"] for o in await ex.fetch_open_orders(BTC)] == [order["id"]]
    fake.set_price("BTCUSDT", "59500")
    assert (await ex.fetch_order(order["id"], BTC))["status"] == "open"
    fake.set_price("BTCUSDT", "58950")
    filled = await ex.fetch_order(order["id"], BTC)
    assert filled["status"] == "closed" and filled["average"] == 59000
    [trade] = await ex.fetch_my_trades(BTC)
    assert trade["takerOrMaker"] == "maker" and trade["fee"]["cost"] == pytest.approx(0.118)


async def test_reduce_only_is_clamped_and_never_flips(fake, ex):
    with pytest.raises(ccxt.ExchangeError, match="-2022"):
        await ex.create_order(BTC, "market", "sell", 0.01, params={"reduceOnly": True})
    await ex.create_order(BTC, "market", "buy", 0.01)
    close = await ex.create_order(BTC, "market", "sell", 0.05, params={"reduceOnly": True})
    assert close["filled"] == 0.01 and close["status"] == "expired"
    assert await ex.fetch_positions() == [] and fake.positions == {}


# ------------------------------------------------------------------ algo orders
async def test_stop_market_reduce_only_goes_to_algo_endpoint_and_cancels(fake, ex):
    await ex.create_order(BTC, "market", "buy", 0.01)
    stop = await ex.create_order(BTC, "market", "sell", 0.01,
                                 params={"stopLossPrice": 59000, "reduceOnly": True, "clientOrderId": "sl-1"})
    [request] = sent(fake, "POST", "/fapi/v1/algoOrder")
    assert request["algoType"] == "CONDITIONAL" and request["type"] == "STOP_MARKET"
    assert request["triggerPrice"] == "59000" and request["clientAlgoId"] == "sl-1"
    assert stop["id"] == str(stop["info"]["algoId"]) and stop["info"]["algoStatus"] == "NEW"
    assert await ex.fetch_open_orders(BTC) == []
    [listed] = await ex.fetch_open_orders(BTC, params={"trigger": True})
    assert listed["id"] == stop["id"] and listed["triggerPrice"] == 59000
    canceled = await ex.cancel_order(stop["id"], BTC, params={"trigger": True})
    assert canceled["id"] == stop["id"]
    assert await ex.fetch_open_orders(BTC, params={"trigger": True}) == []
    fake.set_price("BTCUSDT", "58000")
    assert fake.positions[("BTCUSDT", "BOTH")].amt == Decimal("0.01")  # canceled stop never fires


async def test_take_profit_trigger_creates_child_fill_and_reduces_position(fake, ex):
    await ex.create_order(BTC, "market", "buy", 0.02)
    tp = await ex.create_order(BTC, "market", "sell", 0.01, params={"takeProfitPrice": 61000, "reduceOnly": True})
    assert sent(fake, "POST", "/fapi/v1/algoOrder")[0]["type"] == "TAKE_PROFIT_MARKET"
    fake.set_price("BTCUSDT", "60900")
    assert (await ex.fetch_order(tp["id"], BTC, params={"trigger": True}))["status"] == "open"
    fake.set_price("BTCUSDT", "61050")
    algo = await ex.fetch_order(tp["id"], BTC, params={"trigger": True})
    assert algo["status"] == "closed" and algo["info"]["algoStatus"] == "FINISHED"
    child = await ex.fetch_order(algo["info"]["actualOrderId"], BTC)
    assert child["id"] != tp["id"] and child["status"] == "closed"
    assert child["filled"] == 0.01 and child["average"] == 61050 and child["reduceOnly"] is True
    [position] = await ex.fetch_positions([BTC])
    assert position["contracts"] == 0.01
    fills = await ex.fetch_my_trades(BTC, params={"orderId": child["id"]})
    assert [t["info"]["realizedPnl"] for t in fills] == ["10.5"]


async def test_close_position_stop_closes_everything_and_expires_sibling(fake, ex):
    await ex.create_order(BTC, "market", "buy", 0.03)
    sl = await ex.create_order(BTC, "market", "sell", None, params={"stopLossPrice": 59000, "closePosition": True})
    tp = await ex.create_order(BTC, "market", "sell", None, params={"takeProfitPrice": 62000, "closePosition": True})
    assert "quantity" not in sent(fake, "POST", "/fapi/v1/algoOrder")[0]
    fake.set_price("BTCUSDT", "58800")
    assert fake.positions == {}
    fired = await ex.fetch_order(sl["id"], BTC, params={"trigger": True})
    assert fired["info"]["algoStatus"] == "FINISHED"
    assert (await ex.fetch_order(fired["info"]["actualOrderId"], BTC))["filled"] == 0.03
    sibling = await ex.fetch_order(tp["id"], BTC, params={"trigger": True})
    assert sibling["status"] == "expired"


async def test_reduce_only_stop_with_no_position_left_is_rejected_when_fired(fake, ex):
    await ex.create_order(BTC, "market", "buy", 0.01)
    stop = await ex.create_order(BTC, "market", "sell", 0.01, params={"stopLossPrice": 59000, "reduceOnly": True})
    await ex.create_order(BTC, "market", "sell", 0.01, params={"reduceOnly": True})
    fake.set_price("BTCUSDT", "58000")
    fired = await ex.fetch_order(stop["id"], BTC, params={"trigger": True})
    assert fired["status"] == "rejected" and fired["info"]["actualOrderId"] == ""
    assert fake.positions == {}


async def test_cancel_all_trigger_orders(fake, ex):
    await ex.create_order(BTC, "market", "buy", 0.02)
    for price in (59000, 58000):
        await ex.create_order(BTC, "market", "sell", 0.01, params={"stopLossPrice": price, "reduceOnly": True})
    await ex.create_order(BTC, "limit", "sell", 0.01, 65000)
    await ex.cancel_all_orders(BTC, params={"trigger": True})
    assert await ex.fetch_open_orders(BTC, params={"trigger": True}) == []
    assert len(await ex.fetch_open_orders(BTC)) == 1  # the plain limit order stays


# ------------------------------------------------------------------ positions and balance
async def test_positions_balance_and_trades_add_up(fake, ex):
    await ex.set_leverage(5, BTC)
    await ex.create_order(BTC, "market", "buy", 0.05)
    fake.set_price("BTCUSDT", "61000")
    [position] = await ex.fetch_positions([BTC])
    assert position["side"] == "long" and position["entryPrice"] == 60000
    assert position["unrealizedPnl"] == 50 and position["notional"] == 3050
    balance = await ex.fetch_balance()
    assert balance["USDT"]["total"] == pytest.approx(10000 - 1.2 + 50)  # fee 0.04% of 3000
    assert balance["USDT"]["used"] == pytest.approx(610)  # 3050 / 5x
    await ex.create_order(BTC, "market", "sell", 0.05)
    assert fake.balance == Decimal("10000") - Decimal("1.2") - Decimal("1.22") + Decimal("50")
    trades = await ex.fetch_my_trades(BTC)
    assert [t["side"] for t in trades] == ["buy", "sell"] and len({t["id"] for t in trades}) == 2


# ------------------------------------------------------------------ errors as ccxt sees them
async def test_order_rejections_arrive_as_plain_exchange_error_with_code(fake, ex):
    cases = [
        (ex.create_order(BTC, "market", "buy", 100), "-2019"),                    # margin insufficient
        (ex.create_order(BTC, "market", "sell", 0.01,
                         params={"stopLossPrice": 61000, "reduceOnly": True}), "-2021"),  # would trigger
        (ex.create_order(BTC, "market", "buy", 0.001), "-4164"),                  # notional below 100
    ]
    for call, code in cases:
        with pytest.raises(ccxt.ExchangeError, match=code) as info:
            await call
        assert type(info.value) is ccxt.ExchangeError
    with pytest.raises(ccxt.BadRequest, match="-1111"):
        await ex.fapiPrivatePostOrder({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.0015"})
    assert fake.orders == {} and fake.algo_orders == {}


async def test_linear_errors_flag_gives_production_exception_classes(fake):
    client = make_client(fake, linear_errors=True)
    try:
        with pytest.raises(ccxt.InsufficientFunds):
            await client.create_order(BTC, "market", "buy", 100)
        with pytest.raises(ccxt.OrderImmediatelyFillable):
            await client.create_order(BTC, "market", "sell", 0.01, params={"stopLossPrice": 61000})
        with pytest.raises(ccxt.InvalidOrder, match="-2022"):
            await client.create_order(BTC, "market", "sell", 0.01, params={"reduceOnly": True})
    finally:
        await client.close()


async def test_bad_signature_unknown_key_and_clock_skew(fake, ex):
    for client in (make_client(fake, secret="not-the-secret"), make_client(fake, api_key="unknown")):
        try:
            with pytest.raises(ccxt.AuthenticationError, match="-1022|-2015"):
                await client.fetch_balance()
        finally:
            await client.close()
    fake.clock_offset_ms = 30_000
    with pytest.raises(ccxt.InvalidNonce, match="-1021"):
        await ex.create_order(BTC, "market", "buy", 0.01)
    fake.clock_offset_ms = 0
    assert fake.orders == {}
    assert (await ex.create_order(BTC, "market", "buy", 0.01))["status"] == "closed"


# ------------------------------------------------------------------ faults
async def test_timeout_still_applies_the_order(fake):
    fake.timeout_hold = 1.0
    client = make_client(fake, timeout=300)
    try:
        await client.load_markets()
        fake.inject("POST /fapi/v1/order", "timeout")
        with pytest.raises(ccxt.RequestTimeout):
            await client.create_order(BTC, "market", "buy", 0.01, params={"clientOrderId": "lost-reply"})
        found = await client.fetch_order(None, BTC, params={"clientOrderId": "lost-reply"})
    finally:
        await client.close()
    assert found["status"] == "closed" and found["filled"] == 0.01
    assert fake.positions[("BTCUSDT", "BOTH")].amt == Decimal("0.01")


async def test_server_error_is_not_applied_by_default(fake, ex):
    fake.inject("order", "error500")
    with pytest.raises(ccxt.OperationFailed, match="-1000"):
        await ex.create_order(BTC, "market", "buy", 0.01, params={"clientOrderId": "five-hundred"})
    with pytest.raises(ccxt.OrderNotFound):
        await ex.fetch_order(None, BTC, params={"clientOrderId": "five-hundred"})


async def test_injected_429_carries_retry_after(fake, ex):
    fake.inject("POST /fapi/v1/order", "rate_limit")
    with pytest.raises(ccxt.DDoSProtection, match="-1003"):
        await ex.create_order(BTC, "market", "buy", 0.01)
    assert ex.last_response_headers["Retry-After"] == "30"
    assert fake.orders == {}
    assert (await ex.create_order(BTC, "market", "buy", 0.01))["status"] == "closed"


async def test_request_budget_per_minute_answers_429():
    async with FakeBinance(request_budget_per_minute=3) as venue:
        client = make_client(venue)
        try:
            for _ in range(3):
                await client.fetch_time()
            with pytest.raises(ccxt.DDoSProtection):
                await client.fetch_time()
            retry_after = int(client.last_response_headers["Retry-After"])
        finally:
            await client.close()
    assert 1 <= retry_after <= 60
    assert venue.requests_last_minute() == 3 and venue.count("GET /fapi/v1/time") == 4
    assert venue.peak_requests_per_minute() == 4  # every request seen, refused ones included


async def test_random_faults_are_reproducible_with_a_seed():
    async def run() -> list[str]:
        async with FakeBinance(seed=7) as venue:
            venue.fault_rate = 0.4
            venue.faults.fault_kinds = ("error500", "rate_limit")
            client = make_client(venue)
            outcomes = []
            try:
                for _ in range(15):
                    try:
                        await client.fetch_time()
                        outcomes.append("ok")
                    except ccxt.BaseError as exc:
                        outcomes.append(type(exc).__name__)
            finally:
                await client.close()
            return outcomes

    first, second = await run(), await run()
    assert first == second
    assert {"ok", "OperationFailed", "DDoSProtection"} <= set(first)


# ------------------------------------------------------------------ websockets (ccxt.pro)
async def test_ws_ticker_mark_price_and_order_updates(fake):
    client = make_client(fake, pro=True)
    try:
        await client.load_markets()
        assert (await asyncio.wait_for(client.watch_ticker(BTC), 5))["last"] == 60000
        fake.set_price("BTCUSDT", "60100")
        assert (await asyncio.wait_for(client.watch_ticker(BTC), 5))["last"] == 60100
        fake.set_price("BTCUSDT", "60100", mark="60111")
        assert (await asyncio.wait_for(client.watch_mark_price(BTC), 5))["markPrice"] == 60111

        watching = asyncio.create_task(client.watch_orders(BTC))
        await asyncio.sleep(0.2)  # let the user stream connect before the order
        await client.create_order(BTC, "market", "buy", 0.01, params={"clientOrderId": "ws-1"})
        orders = await asyncio.wait_for(watching, 5)
        assert any(o["clientOrderId"] == "ws-1" for o in orders)

        stop = await client.create_order(BTC, "market", "sell", 0.01, params={"stopLossPrice": 59000,
                                                                               "reduceOnly": True})
        watching = asyncio.create_task(client.watch_orders(BTC))
        await asyncio.sleep(0.05)
        fake.set_price("BTCUSDT", "58900")
        seen: dict[str, str] = {}
        while seen.get(stop["id"]) != "closed":
            for order in await asyncio.wait_for(watching, 5):
                seen[order["id"]] = order["status"]
            watching = asyncio.create_task(client.watch_orders(BTC))
        watching.cancel()
        assert fake.positions == {}
    finally:
        await client.close()


async def test_drop_ws_surfaces_as_network_error(fake):
    client = make_client(fake, pro=True)
    try:
        await client.load_markets()
        await asyncio.wait_for(client.watch_ticker(BTC), 5)
        pending = asyncio.create_task(client.watch_ticker(BTC))
        await asyncio.sleep(0.05)
        assert await fake.drop_ws() >= 1
        with pytest.raises(ccxt.NetworkError):
            await asyncio.wait_for(pending, 5)
    finally:
        await client.close()
