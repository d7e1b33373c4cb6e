"""Paper broker: isolated liquidation, positions and balance figures, fill delivery to handlers."""

from __future__ import annotations

from engine.domain.models import OrderStatus
from engine.domain.values import Side
from tests.engine.brokers.test_paper_helpers import (
    BUY,
    SELL,
    D,
    MemoryStore,
    limit,
    market,
    stop,
    take_profit,
    venue,
)

FREE = {"slippage_pct": 0, "taker_fee": 0, "maker_fee": 0}


async def test_a_long_is_liquidated_at_its_price_and_loses_exactly_its_margin():
    v = await venue(**FREE)
    await v.broker.prepare("BTCUSDT", 10)
    await v.tick("50000")
    await v.broker.place_order(market("en", BUY, "0.100"))
    await v.broker.place_order(stop("sl", SELL, "0.100", "44000.0"))
    [pos] = await v.broker.positions()
    assert pos.liquidation_price == D("45250")  # 50000 × (1 − 1/10 + 0.5 %)
    await v.tick("45250.1")
    assert len(v.fills) == 1
    await v.tick("45000")
    liq = v.fills[-1]
    assert (liq.client_id, liq.action, liq.qty, liq.price) == ("liq-BTCUSDT-1", SELL, D("0.100"), D("45250"))
    assert liq.fee == D("25")  # what the 500 margin had left: the clearance fee
    bal = await v.broker.balance()
    assert bal.wallet == bal.equity == bal.free == D("9500")
    assert await v.broker.positions() == []
    assert (await v.broker.fetch_order("sl", "BTCUSDT")).status is OrderStatus.CANCELLED
    assert (await v.broker.fetch_order("liq-BTCUSDT-1", "BTCUSDT")).status is OrderStatus.FILLED
    assert await v.broker.fetch_fills("liq-BTCUSDT-1", "BTCUSDT") == [liq]


async def test_a_short_is_liquidated_when_the_price_rises_to_its_liquidation_price():
    v = await venue(**FREE)
    await v.broker.prepare("BTCUSDT", 10)
    await v.tick("50000")
    await v.broker.place_order(market("en", SELL, "0.100"))
    [pos] = await v.broker.positions()
    assert pos.liquidation_price == D("54750")
    await v.tick("54749.9")
    assert await v.broker.positions() != []
    await v.tick("54750")
    assert v.fills[-1].client_id == "liq-BTCUSDT-1" and v.fills[-1].action is BUY
    assert (await v.broker.balance()).wallet == D("9500")
    await v.tick("50000")
    await v.broker.place_order(market("en2", SELL, "0.100"))
    await v.tick("60000")
    assert v.fills[-1].client_id == "liq-BTCUSDT-2"  # every liquidation has its own id
    assert (await v.broker.balance()).wallet == D("9000")


async def test_liquidation_only_touches_the_isolated_position_of_that_symbol():
    v = await venue(**FREE)
    await v.broker.prepare("BTCUSDT", 10)
    await v.broker.prepare("ETHUSDT", 2)
    await v.tick("50000")
    await v.tick("2000.00", symbol="ETHUSDT")
    await v.broker.place_order(market("btc", BUY, "0.100"))
    await v.broker.place_order(market("eth", BUY, "1.00", symbol="ETHUSDT"))
    await v.tick("40000")
    [eth] = await v.broker.positions()
    assert (eth.symbol, eth.side, eth.qty) == ("ETHUSDT", Side.LONG, D("1.00"))
    bal = await v.broker.balance()
    assert bal.wallet == D("9500") and bal.free == D("8500")  # ETH keeps its 1000 margin


async def test_wallet_equity_and_free_balance_add_up_across_two_positions():
    v = await venue(slippage_pct=0)
    await v.broker.prepare("BTCUSDT", 10)
    await v.broker.prepare("ETHUSDT", 5)
    await v.tick("50000")
    await v.tick("2000.00", symbol="ETHUSDT")
    await v.broker.place_order(market("btc", BUY, "0.010"))  # fee 0.2, margin 50
    await v.broker.place_order(market("eth", SELL, "0.50", symbol="ETHUSDT"))  # fee 0.4, margin 200
    await v.tick("50500")  # BTC +5
    await v.tick("2010.00", symbol="ETHUSDT")  # ETH short −5
    bal = await v.broker.balance()
    assert bal.wallet == D("9999.4")
    assert bal.equity == D("9999.4")  # +5 − 5
    assert bal.free == D("9744.4")  # 9999.4 − 250 margin − 5 loss (gains are not counted)
    upnl = {p.symbol: p.unrealized_pnl for p in await v.broker.positions()}
    assert upnl == {"BTCUSDT": D("5"), "ETHUSDT": D("-5")}


async def test_fills_are_handed_over_in_order_and_only_after_they_are_saved():
    store = MemoryStore()
    v = await venue(store)
    await v.tick("50000")
    await v.broker.place_order(market("en", BUY, "0.010"))
    await v.broker.place_order(take_profit("tp1", SELL, "0.004", "51000.0"))
    await v.broker.place_order(take_profit("tp2", SELL, "0.006", "51500.0"))
    await v.tick("52000")
    taken = v.broker.take_fills()
    assert [(f.trade_id, f.client_id) for f in taken] == [("p1", "en"), ("p2", "tp1"), ("p3", "tp2")]
    assert all(f.trade_id in store.fills for f in taken)  # each one saved before it is handed over
    assert v.broker.take_fills() == []  # handed over once


async def test_every_change_is_saved_as_the_rows_it_touched_with_exact_decimals():
    store = MemoryStore()
    v = await venue(store)
    await v.tick("50000")
    assert store.saves == 0  # a price alone changes nothing worth saving
    await v.broker.place_order(market("en", BUY, "0.010"))
    assert store.account is not None and store.account[0] == D("9999.79996")
    assert store.positions["BTCUSDT"].entry == D("50010.0")
    assert list(store.orders) == ["en"] and store.fills["p1"].ts == v.clock.now()
    last = store.written[-1]
    assert [o.client_id for o in last.orders] == ["en"] and list(last.positions) == ["BTCUSDT"]
    await v.broker.place_order(limit("rest", BUY, "0.002", "40000.0"))
    assert [o.client_id for o in store.written[-1].orders] == ["rest"]  # only what changed is written
    assert store.written[-1].positions == {} and store.written[-1].fills == ()
    before = store.saves
    await v.broker.cancel_order("en", "BTCUSDT")  # already final: nothing changes
    assert store.saves == before


async def test_isolated_margin_is_rounded_up_to_8_decimals():
    v = await venue(**FREE)
    await v.broker.prepare("BTCUSDT", 7)
    await v.tick("50100.0")
    await v.broker.place_order(market("en", BUY, "0.002"))  # 100.2 / 7 = 14.314285714…
    assert (await v.broker.balance()).free == D("9985.68571428")  # 10000 − 14.31428572
