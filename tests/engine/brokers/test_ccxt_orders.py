"""Orders on the live broker: entries, reduce-only stops and take-profits in the algo book,
rounding and minimums, look-ups and cancels, and no duplicate after a timeout on creation."""

from __future__ import annotations

import pytest

from engine.brokers.errors import InvalidOrder, UnknownOutcome
from engine.domain.models import OrderRequest, OrderStatus, OrderType
from tests.engine.brokers.test_ccxt_helpers import (
    BTC,
    BUY,
    ETH,
    SELL,
    D,
    entry,
    open_bracket,
    placed,
    running,
    stop,
)
from tests.fakes.binance import FakeBinance


async def test_entry_then_stop_and_two_targets_rest_on_the_exchange_as_reduce_only_algo_orders():
    async with FakeBinance() as fake, running(fake) as (broker, _):
        await open_bracket(broker)
        position = fake.positions[("BTCUSDT", "BOTH")]
        assert position.amt == D("0.010")
        algos = {a.client_algo_id: a for a in fake.algo_orders.values()}
        assert set(algos) == {"sp-p1-sl-0", "sp-p1-tp1-0", "sp-p1-tp2-0"}
        assert algos["sp-p1-sl-0"].order_type == "STOP_MARKET" and algos["sp-p1-sl-0"].trigger_price == D("59000")
        assert algos["sp-p1-tp1-0"].order_type == "TAKE_PROFIT_MARKET"
        assert algos["sp-p1-tp2-0"].trigger_price == D("62000")
        assert all(a.reduce_only and a.side == "SELL" and a.status == "NEW" for a in algos.values())
        assert [o.client_id for o in fake.orders.values()] == ["sp-p1-en-0"]
        assert fake.count("POST /fapi/v1/algoOrder") == 3


async def test_place_order_reports_the_venue_state_under_our_client_id():
    async with FakeBinance() as fake, running(fake) as (broker, _):
        filled = await broker.place_order(entry())
        assert (filled.client_id, filled.status, filled.filled_qty, filled.avg_price, filled.action) == (
            "sp-p1-en-0", OrderStatus.FILLED, D("0.010"), D("60000"), BUY)
        resting = await broker.place_order(stop())
        assert (resting.status, resting.type, resting.trigger_price, resting.reduce_only) == (
            OrderStatus.OPEN, OrderType.STOP_MARKET, D("59000"), True)


async def test_prices_and_quantities_are_rounded_to_the_market_steps():
    async with FakeBinance() as fake, running(fake) as (broker, _):
        await broker.place_order(entry(qty="0.0109"))  # lot 0.001: rounded down, never up
        assert fake.positions[("BTCUSDT", "BOTH")].amt == D("0.010")
        await broker.place_order(stop(qty="0.010", trigger="59000.04"))  # tick 0.1
        (algo,) = fake.algo_orders.values()
        assert algo.trigger_price == D("59000.0")


async def test_minimum_quantity_and_notional_are_checked_before_sending():
    async with FakeBinance() as fake, running(fake) as (broker, _):
        with pytest.raises(InvalidOrder, match="below the minimum 0.001"):
            await broker.place_order(entry(qty="0.0004"))
        limit = OrderRequest("sp-p2-en-0", BTC, BUY, OrderType.LIMIT, D("0.001"), price=D("59000"))
        with pytest.raises(InvalidOrder, match="minimum notional 100"):
            await broker.place_order(limit)  # 59 USDT < 100 USDT
        assert placed(fake) == 0


async def test_a_limit_order_rests_and_is_listed():
    async with FakeBinance() as fake, running(fake) as (broker, _):
        await broker.prepare(ETH, 5)
        limit = OrderRequest("sp-p3-en-0", ETH, BUY, OrderType.LIMIT, D("0.05"), price=D("2900.004"))
        order = await broker.place_order(limit)
        assert (order.status, order.price) == (OrderStatus.OPEN, D("2900.00"))
        listed = {o.client_id: o for o in await broker.open_orders(ETH)}
        assert listed["sp-p3-en-0"].type is OrderType.LIMIT


async def test_open_orders_fetch_and_cancel_see_the_algo_orders():
    async with FakeBinance() as fake, running(fake) as (broker, _):
        await open_bracket(broker)
        listed = {o.client_id: o for o in await broker.open_orders()}
        assert set(listed) == {"sp-p1-sl-0", "sp-p1-tp1-0", "sp-p1-tp2-0"}
        assert listed["sp-p1-tp1-0"].type is OrderType.TAKE_PROFIT
        fetched = await broker.fetch_order("sp-p1-sl-0", BTC)
        assert fetched is not None and (fetched.status, fetched.trigger_price) == (OrderStatus.OPEN, D("59000"))
        cancelled = await broker.cancel_order("sp-p1-sl-0", BTC)
        assert cancelled is not None and cancelled.status is OrderStatus.CANCELLED
        assert {a.client_algo_id: a.status for a in fake.algo_orders.values()}["sp-p1-sl-0"] == "CANCELED"
        assert {o.client_id for o in await broker.open_orders(BTC)} == {"sp-p1-tp1-0", "sp-p1-tp2-0"}
        again = await broker.fetch_order("sp-p1-sl-0", BTC)
        assert again is not None and again.status is OrderStatus.CANCELLED


async def test_unknown_orders_are_none_for_fetch_and_cancel():
    async with FakeBinance() as fake, running(fake) as (broker, _):
        assert await broker.fetch_order("sp-nope-en-0", BTC) is None
        assert await broker.fetch_order("sp-nope-sl-0", BTC) is None
        assert await broker.cancel_order("sp-nope-tp1-0", BTC) is None


async def test_a_triggered_target_is_filled_with_its_child_order_fills():
    async with FakeBinance() as fake, running(fake, streams=False) as (broker, _):
        await open_bracket(broker)
        fake.set_price("BTCUSDT", "61000")
        order = await broker.fetch_order("sp-p1-tp1-0", BTC)
        assert order is not None
        assert (order.status, order.filled_qty, order.avg_price) == (OrderStatus.FILLED, D("0.005"), D("61000"))
        (fill,) = await broker.fetch_fills("sp-p1-tp1-0", BTC)
        assert (fill.client_id, fill.action, fill.qty, fill.price) == ("sp-p1-tp1-0", SELL, D("0.005"), D("61000"))
        assert fill.fee == D("0.122")  # taker 0.04 % of 305 USDT
        cancelled = await broker.cancel_order("sp-p1-tp1-0", BTC)  # too late: reports the fill
        assert cancelled is not None and cancelled.status is OrderStatus.FILLED


@pytest.mark.parametrize("request_, endpoint", [
    (entry(), "POST /fapi/v1/order"),
    (stop(), "POST /fapi/v1/algoOrder"),
])
async def test_timeout_on_creation_that_reached_the_exchange_returns_it_without_resending(request_, endpoint):
    async with FakeBinance(timeout_hold=1.5) as fake, running(fake) as (broker, _):
        if request_.type is not OrderType.MARKET:
            await broker.place_order(entry())
        fake.inject(endpoint, "timeout")  # applied, then the reply is held past the client's timeout
        order = await broker.place_order(request_)
        assert order.client_id == request_.client_id
        assert fake.count(endpoint) == 1  # sent once, found by its client id
        mine = [o for o in fake.orders.values() if o.client_id == request_.client_id]
        mine += [a for a in fake.algo_orders.values() if a.client_algo_id == request_.client_id]
        assert len(mine) == 1


async def test_timeout_on_creation_that_never_arrived_is_an_unknown_outcome_and_nothing_is_resent():
    async with FakeBinance(timeout_hold=1.5) as fake, running(fake) as (broker, _):
        fake.inject("POST /fapi/v1/order", "timeout", apply=False)
        with pytest.raises(UnknownOutcome):
            await broker.place_order(entry())
        assert fake.count("POST /fapi/v1/order") == 1
        assert fake.orders == {}


async def test_server_error_on_creation_is_not_retried():
    async with FakeBinance() as fake, running(fake) as (broker, _):
        fake.inject("POST /fapi/v1/order", "error503")
        with pytest.raises(UnknownOutcome):
            await broker.place_order(entry())
        assert fake.count("POST /fapi/v1/order") == 1 and fake.orders == {}


async def test_reusing_the_client_id_of_a_resting_order_returns_that_order():
    async with FakeBinance() as fake, running(fake) as (broker, _):
        await broker.place_order(entry())
        first = await broker.place_order(stop())
        again = await broker.place_order(stop())  # -4116 duplicated: look it up instead
        assert again.exchange_id == first.exchange_id
        assert len(fake.algo_orders) == 1
