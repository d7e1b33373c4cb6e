"""Paper broker: order placement, validation, rejections, idempotency, cancellation and leverage."""

from __future__ import annotations

import pytest

from engine.brokers.errors import InsufficientFunds, InvalidOrder
from engine.domain.models import OrderStatus
from engine.domain.values import Side
from tests.engine.brokers.test_paper_helpers import BUY, SELL, D, limit, market, stop, take_profit, venue


async def test_market_buy_fills_at_mark_plus_slippage_and_pays_the_taker_fee():
    v = await venue()
    await v.broker.prepare("BTCUSDT", 10)
    await v.tick("50000")
    order = await v.broker.place_order(market("m1", BUY, "0.010"))
    assert order.status is OrderStatus.FILLED and order.filled_qty == D("0.010")
    assert order.avg_price == D("50010.0")  # 50000 × (1 + 0.02 %)
    [fill] = v.fills
    assert (fill.price, fill.qty, fill.fee, fill.is_maker) == (D("50010.0"), D("0.010"), D("0.20004"), False)
    assert fill.trade_id == "p1" and fill.ts == v.clock.now()
    bal = await v.broker.balance()
    assert bal.wallet == D("9999.79996")  # 10000 − fee
    assert bal.equity == D("9999.69996")  # unrealized (50000 − 50010) × 0.01 = −0.1
    assert bal.free == D("9949.68996")  # wallet − margin 50.01 − 0.1 loss
    [pos] = await v.broker.positions()
    assert (pos.side, pos.qty, pos.entry_price, pos.leverage) == (Side.LONG, D("0.010"), D("50010.0"), 10)
    assert pos.unrealized_pnl == D("-0.1")


async def test_slippage_is_rounded_to_the_tick_against_the_trader():
    v = await venue()
    await v.tick("50000.05")  # an off-tick mark
    buy = await v.broker.place_order(market("b", BUY, "0.002"))
    sell = await v.broker.place_order(market("s", SELL, "0.002"))
    assert buy.avg_price == D("50010.1")  # 50010.05001 rounded up
    assert sell.avg_price == D("49990.0")  # 49990.04999 rounded down


async def test_closing_at_a_profit_realizes_pnl_into_the_wallet_to_the_last_decimal():
    v = await venue()
    await v.tick("50000")
    await v.broker.place_order(market("open", BUY, "0.010"))
    await v.tick("51000")
    bal = await v.broker.balance()
    assert (bal.equity, bal.free) == (D("10009.69996"), D("9949.78996"))  # gains are not free margin
    await v.broker.place_order(market("close", SELL, "0.010", reduce_only=True))
    assert v.fills[-1].price == D("50989.8") and v.fills[-1].fee == D("0.2039592")
    bal = await v.broker.balance()
    # 10000 − 0.20004 + (50989.8 − 50010) × 0.01 − 0.2039592
    assert bal.wallet == bal.equity == bal.free == D("10009.3940008")
    assert await v.broker.positions() == []


async def test_a_partial_close_releases_margin_in_proportion():
    v = await venue()
    await v.broker.prepare("BTCUSDT", 10)
    await v.tick("50000")
    await v.broker.place_order(market("open", BUY, "0.010"))
    await v.broker.place_order(market("part", SELL, "0.004", reduce_only=True))
    bal = await v.broker.balance()
    assert bal.wallet == D("9999.639976")  # − 0.20004 − 0.08 loss − 0.079984 fee
    assert bal.free == D("9969.573976")  # margin left 30.006, unrealized −0.06
    [pos] = await v.broker.positions()
    assert pos.qty == D("0.006") and pos.entry_price == D("50010.0")


async def test_a_sell_larger_than_the_long_flips_the_position_in_one_way_mode():
    v = await venue(slippage_pct=0, taker_fee=0)
    await v.tick("50000")
    await v.broker.place_order(market("long", BUY, "0.010"))
    await v.broker.place_order(market("flip", SELL, "0.030"))
    [pos] = await v.broker.positions()
    assert (pos.side, pos.qty, pos.entry_price) == (Side.SHORT, D("0.020"), D("50000"))
    assert (await v.broker.balance()).free == D("9900")  # margin 1000 / 10


async def test_opening_needs_free_balance_for_margin_plus_fee_exactly():
    ok = await venue(paper_balance=D("100.04"), slippage_pct=0)
    await ok.broker.prepare("BTCUSDT", 1)
    await ok.tick("50000")
    await ok.broker.place_order(market("m", BUY, "0.002"))  # margin 100 + fee 0.04
    assert (await ok.broker.balance()).free == 0

    short = await venue(paper_balance=D("100.03999999"), slippage_pct=0)
    await short.broker.prepare("BTCUSDT", 1)
    await short.tick("50000")
    with pytest.raises(InsufficientFunds, match="needs 100.04000000 USDT .* 100.03999999 USDT free") as info:
        await short.broker.place_order(market("m", BUY, "0.002"))
    assert info.value.venue_code == "-2019"
    assert await short.broker.positions() == [] and short.fills == []
    assert (await short.broker.balance()).wallet == D("100.03999999")
    assert await short.broker.fetch_order("m", "BTCUSDT") is None  # a rejected order never existed


@pytest.mark.parametrize(("request_", "code", "words"), [
    (market("q", BUY, "0.0025"), "precision", "lot size"),
    (market("q", BUY, "0.001"), "min_qty", "below the minimum"),
    (market("q", BUY, "0"), "min_qty", "positive"),
    (limit("q", BUY, "0.002", "1000.0"), "min_notional", "order value 2.0000"),
    (limit("q", BUY, "0.002", "49000.05"), "precision", "tick size"),
    (market("q", SELL, "0.002", reduce_only=True), "reduce_only", "would not reduce"),
    (market("q", BUY, "0.002", symbol="DOGEUSDT"), "symbol", "unknown market"),
])
async def test_invalid_orders_are_rejected_with_a_code_and_a_clear_message(request_, code, words):
    v = await venue()
    await v.tick("50000")
    with pytest.raises(InvalidOrder, match=words) as info:
        await v.broker.place_order(request_)
    assert info.value.venue_code == code
    assert await v.broker.open_orders() == [] and v.fills == []


async def test_a_market_order_before_any_price_is_rejected():
    v = await venue()
    with pytest.raises(InvalidOrder, match="no price") as info:
        await v.broker.place_order(market("m", BUY, "0.002"))
    assert info.value.venue_code == "no_price"


async def test_reduce_only_orders_are_exempt_from_the_minimum_notional():
    v = await venue()
    await v.tick("50000")
    await v.broker.place_order(market("short", SELL, "0.010"))
    order = await v.broker.place_order(take_profit("tp", BUY, "0.002", "1000.0"))  # worth 2 USDT
    assert order.status is OrderStatus.OPEN


async def test_a_client_id_used_by_an_open_order_is_rejected():
    v = await venue()
    await v.tick("50000")
    await v.broker.place_order(limit("L1", BUY, "0.002", "49000.0"))
    with pytest.raises(InvalidOrder, match="already used") as info:
        await v.broker.place_order(limit("L1", BUY, "0.004", "48000.0"))
    assert info.value.venue_code == "duplicate_client_id"
    [only] = await v.broker.open_orders()
    assert only.price == D("49000.0") and only.qty == D("0.002")


async def test_re_sending_a_filled_order_returns_its_final_state_and_does_nothing_again():
    v = await venue()
    await v.tick("50000")
    first = await v.broker.place_order(market("m1", BUY, "0.010"))
    wallet = (await v.broker.balance()).wallet
    await v.tick("51000")
    again = await v.broker.place_order(market("m1", BUY, "0.010"))
    assert again == first
    assert len(v.fills) == 1 and (await v.broker.balance()).wallet == wallet
    assert [p.qty for p in await v.broker.positions()] == [D("0.010")]
    assert await v.broker.fetch_fills("m1", "BTCUSDT") == v.fills


async def test_a_resting_entry_holds_margin_until_cancelled():
    v = await venue()
    await v.broker.prepare("BTCUSDT", 10)
    await v.tick("50000")
    placed = await v.broker.place_order(limit("L", BUY, "0.010", "49000.0"))
    assert placed.status is OrderStatus.OPEN and placed.exchange_id
    assert (await v.broker.balance()).free == D("9951")  # 490 / 10 held
    cancelled = await v.broker.cancel_order("L", "BTCUSDT")
    assert cancelled is not None and cancelled.status is OrderStatus.CANCELLED
    assert (await v.broker.balance()).free == D("10000")
    assert await v.broker.open_orders() == []
    assert (await v.broker.cancel_order("L", "BTCUSDT")).status is OrderStatus.CANCELLED  # final state
    assert await v.broker.cancel_order("nope", "BTCUSDT") is None
    assert await v.broker.cancel_order("L", "ETHUSDT") is None  # another symbol does not know it
    assert await v.broker.fetch_order("nope", "BTCUSDT") is None
    await v.tick("48000")
    assert v.fills == []  # a cancelled order never fills


async def test_a_resting_entry_needs_free_balance_for_its_margin():
    v = await venue(paper_balance=D("100"))
    await v.broker.prepare("BTCUSDT", 1)
    with pytest.raises(InsufficientFunds):
        await v.broker.place_order(limit("L", BUY, "0.010", "49000.0"))
    assert await v.broker.open_orders() == []


async def test_prepare_checks_leverage_against_the_market_and_maintenance_margin():
    v = await venue(maintenance_margin_pct=D("1"))
    for bad in (0, 126, 100):  # 100×: 1 % initial margin would be liquidated at once
        with pytest.raises(InvalidOrder) as info:
            await v.broker.prepare("BTCUSDT", bad)
        assert info.value.venue_code == "leverage"
    await v.broker.prepare("BTCUSDT", 5)
    await v.tick("50000")
    await v.broker.place_order(market("m", BUY, "0.010", leverage=20))  # the prepared leverage wins
    [pos] = await v.broker.positions()
    assert pos.leverage == 5
    bal = await v.broker.balance()
    assert bal.wallet - bal.free == D("100.12")  # margin 500.1 / 5 + unrealized loss 0.1


async def test_the_history_limit_forgets_the_oldest_final_orders_but_not_those_of_an_open_position():
    v = await venue(history_limit=2)
    await v.tick("50000")
    await v.broker.place_order(limit("rest", BUY, "0.002", "40000.0"))
    for cid, action in (("a", BUY), ("b", SELL), ("c", BUY), ("d", SELL)):
        await v.broker.place_order(market(cid, action, "0.002"))
    known = [cid for cid in "abcd" if await v.broker.fetch_order(cid, "BTCUSDT") is not None]
    assert known == ["c", "d"]
    assert await v.broker.fetch_fills("a", "BTCUSDT") == []
    assert (await v.broker.fetch_order("rest", "BTCUSDT")).status is OrderStatus.OPEN  # resting: always kept
    await v.broker.place_order(market("e", BUY, "0.002"))  # a position is open again: its history stays
    assert await v.broker.fetch_order("c", "BTCUSDT") is not None
    await v.broker.place_order(market("f", SELL, "0.002"))
    known = [cid for cid in "cdef" if await v.broker.fetch_order(cid, "BTCUSDT") is not None]
    assert known == ["e", "f"]


async def test_replaced_stops_of_a_long_lived_position_do_not_pile_up():
    v = await venue(history_limit=2)
    await v.tick("50000")
    await v.broker.place_order(market("en", BUY, "0.002"))
    for n in range(1, 6):  # a trailing stop moved five times
        await v.broker.place_order(stop(f"sl{n}", SELL, "0.002", f"4{n}000.0"))
        if n < 5:
            await v.broker.cancel_order(f"sl{n}", "BTCUSDT")
    known = [cid for cid in ("en", "sl1", "sl2", "sl3", "sl4", "sl5")
             if await v.broker.fetch_order(cid, "BTCUSDT") is not None]
    assert known == ["en", "sl4", "sl5"]  # the entry's fill stays while its position is open


async def test_a_plain_limit_that_only_closes_a_position_needs_no_free_margin():
    v = await venue(paper_balance=D("100.04"), slippage_pct=0)
    await v.broker.prepare("BTCUSDT", 1)
    await v.tick("50000")
    await v.broker.place_order(market("en", BUY, "0.002"))
    assert (await v.broker.balance()).free == 0
    with pytest.raises(InsufficientFunds):  # a flip would open 0.002 short: that needs margin
        await v.broker.place_order(limit("flip", SELL, "0.004", "51000.0"))
    await v.broker.place_order(limit("exit", SELL, "0.002", "51000.0"))
    await v.tick("51000")
    assert await v.broker.positions() == []
    assert (await v.broker.balance()).wallet == D("101.9796")  # 100.04 − 0.04 + 2 − 0.0204 maker fee
