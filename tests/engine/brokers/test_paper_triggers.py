"""Paper broker: stops, take-profits and limits triggering on the right side, gaps, reduce-only rules."""

from __future__ import annotations

import pytest

from engine.brokers.errors import InvalidOrder, WouldTriggerImmediately
from engine.domain.models import OrderStatus
from engine.domain.values import Side
from tests.engine.brokers.test_paper_helpers import BUY, SELL, D, limit, market, stop, take_profit, venue


async def long_venue(**overrides):
    """A venue holding a long 0.010 BTC bought at 50010.0 (mark 50000 + slippage)."""
    v = await venue(**overrides)
    await v.tick("50000")
    await v.broker.place_order(market("entry", BUY, "0.010"))
    return v


async def short_venue(**overrides):
    """A venue holding a short 0.010 BTC sold at 49990.0."""
    v = await venue(**overrides)
    await v.tick("50000")
    await v.broker.place_order(market("entry", SELL, "0.010"))
    return v


async def test_a_long_stop_triggers_at_or_below_its_trigger_and_pays_slippage_and_taker_fee():
    v = await long_venue()
    await v.broker.place_order(stop("sl", SELL, "0.010", "49000.0"))
    await v.tick("49000.1")
    assert len(v.fills) == 1
    await v.tick("48980.0")
    fill = v.fills[-1]
    assert (fill.client_id, fill.price, fill.qty) == ("sl", D("48990.2"), D("0.010"))  # 49000 × (1 − 0.02 %)
    assert fill.fee == D("0.1959608") and not fill.is_maker
    assert await v.broker.positions() == []
    assert (await v.broker.fetch_order("sl", "BTCUSDT")).status is OrderStatus.FILLED


async def test_a_stop_never_fills_worse_than_the_price_that_traded():
    v = await long_venue()
    await v.broker.place_order(stop("sl", SELL, "0.010", "49000.0"))
    await v.tick("49000.0")  # the trigger is the lowest traded price: no fill below it
    assert v.fills[-1].price == D("49000.0")


async def test_a_short_stop_triggers_at_or_above_its_trigger():
    v = await short_venue()
    await v.broker.place_order(stop("sl", BUY, "0.010", "51000.0"))
    await v.tick("50999.9")
    assert len(v.fills) == 1
    await v.tick("51100.0")
    assert v.fills[-1].price == D("51010.2")  # plus slippage for a buy
    assert await v.broker.positions() == []


@pytest.mark.parametrize(("side", "action", "trigger"), [
    ("long", SELL, "50000.0"), ("long", SELL, "50100.0"), ("short", BUY, "49900.0"),
])
async def test_a_stop_that_would_trigger_at_once_is_rejected_like_binance_2021(side, action, trigger):
    v = await (long_venue() if side == "long" else short_venue())
    with pytest.raises(WouldTriggerImmediately) as info:
        await v.broker.place_order(stop("sl", action, "0.010", trigger))
    assert info.value.venue_code == "-2021" and isinstance(info.value, InvalidOrder)
    assert await v.broker.open_orders() == []


async def test_a_long_take_profit_fills_at_its_price_as_maker_when_the_price_reaches_it():
    v = await long_venue()
    await v.broker.place_order(take_profit("tp", SELL, "0.010", "52000.0"))
    await v.tick("51999.9")
    assert len(v.fills) == 1
    await v.tick("52300.0")
    fill = v.fills[-1]
    assert (fill.price, fill.fee, fill.is_maker) == (D("52000.0"), D("0.104"), True)


async def test_a_short_take_profit_fills_when_the_price_falls_to_it():
    v = await short_venue()
    await v.broker.place_order(take_profit("tp", BUY, "0.010", "48000.0"))
    await v.tick("48000.1")
    assert len(v.fills) == 1
    await v.tick("47999.9")
    assert v.fills[-1].price == D("48000.0")
    assert await v.broker.positions() == []


async def test_a_take_profit_already_crossed_when_placed_is_refused_as_binance_refuses_it():
    v = await long_venue()
    await v.tick("52500")
    with pytest.raises(WouldTriggerImmediately) as refused:
        await v.broker.place_order(take_profit("tp", SELL, "0.010", "52000.0"))
    assert refused.value.venue_code == "-2021"
    assert len(v.fills) == 1 and await v.broker.open_orders() == []  # nothing filled, nothing rests
    assert (await v.broker.positions())[0].qty == D("0.010")
    assert await v.broker.fetch_order("tp", "BTCUSDT") is None  # refused, so the id stays free
    short = await short_venue()
    await short.tick("47000")
    with pytest.raises(WouldTriggerImmediately):
        await short.broker.place_order(take_profit("tp", BUY, "0.010", "48000.0"))


async def test_reduce_only_fills_are_clamped_to_the_position_and_leftovers_cancelled_when_flat():
    v = await long_venue()
    await v.broker.place_order(stop("sl", SELL, "0.010", "49000.0"))
    await v.broker.place_order(take_profit("tp1", SELL, "0.006", "51000.0"))
    await v.broker.place_order(take_profit("tp2", SELL, "0.006", "51000.0"))
    await v.tick("51000.0")
    assert [(f.client_id, f.qty) for f in v.fills[1:]] == [("tp1", D("0.006")), ("tp2", D("0.004"))]
    tp2 = await v.broker.fetch_order("tp2", "BTCUSDT")
    assert (tp2.status, tp2.qty, tp2.filled_qty) == (OrderStatus.FILLED, D("0.006"), D("0.004"))
    assert await v.broker.positions() == []
    assert await v.broker.open_orders() == []
    assert (await v.broker.fetch_order("sl", "BTCUSDT")).status is OrderStatus.CANCELLED
    await v.tick("40000")
    assert len(v.fills) == 3  # nothing re-opens a position


async def test_closing_at_market_cancels_the_remaining_stop_and_targets():
    v = await long_venue()
    await v.broker.place_order(stop("sl", SELL, "0.010", "49000.0"))
    await v.broker.place_order(take_profit("tp", SELL, "0.010", "52000.0"))
    await v.broker.place_order(market("close", SELL, "0.020", reduce_only=True))
    assert v.fills[-1].qty == D("0.010")  # clamped: never flips
    assert await v.broker.positions() == [] and await v.broker.open_orders() == []


async def test_triggered_stops_fill_in_placement_order():
    v = await long_venue()
    await v.broker.place_order(stop("sl-a", SELL, "0.006", "49000.0"))
    await v.broker.place_order(stop("sl-b", SELL, "0.010", "49500.0"))
    await v.tick("48000.0")
    assert [(f.client_id, f.qty) for f in v.fills[1:]] == [("sl-a", D("0.006")), ("sl-b", D("0.004"))]


async def test_a_reduce_only_order_that_would_increase_the_position_is_rejected():
    v = await long_venue()
    with pytest.raises(InvalidOrder) as info:
        await v.broker.place_order(market("more", BUY, "0.002", reduce_only=True))
    assert info.value.venue_code == "reduce_only"
    with pytest.raises(InvalidOrder) as info:
        await v.broker.place_order(stop("sl", BUY, "0.010", "51000.0"))
    assert info.value.venue_code == "reduce_only"


async def test_a_resting_limit_entry_fills_at_its_price_as_maker():
    v = await venue()
    await v.tick("50000")
    await v.broker.place_order(limit("en", BUY, "0.010", "49000.0"))
    await v.tick("49000.1")
    assert v.fills == []
    await v.tick("48950.0")
    [fill] = v.fills
    assert (fill.price, fill.fee, fill.is_maker) == (D("49000.0"), D("0.098"), True)
    [pos] = await v.broker.positions()
    assert (pos.side, pos.entry_price) == (Side.LONG, D("49000.0"))
    bal = await v.broker.balance()
    assert bal.free == D("9950.402")  # 10000 − 0.098 − margin 49 − unrealized loss 0.5


async def test_a_limit_entry_that_is_already_crossed_fills_at_once_at_the_market_as_taker():
    v = await venue()
    await v.tick("50000")
    order = await v.broker.place_order(limit("en", BUY, "0.010", "50500.0"))
    assert order.status is OrderStatus.FILLED and order.avg_price == D("50000.0")
    assert v.fills[0].fee == D("0.2") and not v.fills[0].is_maker


async def test_orders_of_one_symbol_ignore_another_symbols_prices():
    v = await long_venue()
    await v.broker.place_order(stop("sl", SELL, "0.010", "49000.0"))
    await v.tick("100.00", symbol="ETHUSDT")
    assert len(v.fills) == 1 and len(await v.broker.open_orders("BTCUSDT")) == 1
    assert await v.broker.open_orders("ETHUSDT") == []
    assert v.broker.mark_price("ETHUSDT") == D("100.00") and v.broker.mark_price("BTCUSDT") == D("50000")
