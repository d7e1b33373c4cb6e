"""The engine's ``qmt`` broker against the bridge server with the simulated trader, over real HTTP:
orders, partial fills, cancels, junk orders, token refused, server down, lost answers found by
``order_remark``, T+1, sessions, price limits, costs and the order cap."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from engine.brokers.errors import AuthError, InvalidOrder, NetworkError
from engine.brokers.qmt import build_qmt_broker
from engine.clock import ManualClock
from engine.domain.models import OrderRequest, OrderStatus, OrderType
from engine.domain.values import OrderAction
from engine.market.base import PriceTick
from tests.engine.qmt.bridge import TOKEN, running_bridge, shanghai

D = Decimal
IN_SESSION = shanghai("2026-12-02", "10:00")  # a Wednesday morning


class MemoryStore:
    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    async def load(self, key: str) -> str | None:
        return self.data.get(key)

    async def save(self, key: str, value: str) -> None:
        self.data[key] = value


def req(cid: str, action: OrderAction, qty: str, type_: OrderType = OrderType.MARKET, price: str | None = None,
        trigger: str | None = None, symbol: str = "600000.SH") -> OrderRequest:
    return OrderRequest(client_id=cid, symbol=symbol, action=action, type=type_, qty=D(qty),
                        price=D(price) if price else None, trigger_price=D(trigger) if trigger else None,
                        reduce_only=action is OrderAction.SELL)


def broker_for(url: str, clock: ManualClock, token: str = TOKEN, store: MemoryStore | None = None, **kw):
    b = build_qmt_broker(url, token, clock, store=store, poll_seconds=0, timeout=5.0, **kw)
    fills = []
    b.on_fill(fills.append)
    return b, fills


async def test_a_market_buy_goes_in_lots_fills_with_a_shares_costs_and_is_not_sellable_today():
    async with running_bridge() as srv:
        srv.sim.set_price("600000.SH", 10.0, last_close=10.0)
        b, fills = broker_for(srv.url, ManualClock(IN_SESSION))
        await b.start()
        order = await b.place_order(req("sp-p1-en-1", OrderAction.BUY, "250"))
        assert order.status is OrderStatus.FILLED and order.qty == 200  # whole lots only
        assert srv.sim.orders[order_id(order)].price == 10.05  # a marketable limit, inside the limits
        (fill,) = await b.poll()
        assert fill.client_id == "sp-p1-en-1" and fill.qty == 200 and fill.price == D("10")
        assert fill.fee == D("5.02")  # commission 0.5 → minimum 5, transfer fee 0.02
        assert fills == [fill]
        since = await b.fills_since("600000.SH", datetime(2000, 1, 1, tzinfo=UTC))  # for reconciliation
        assert [f.trade_id for f in since] == [fill.trade_id]
        (pos,) = await b.positions()
        assert pos.qty == 200 and pos.leverage == 1
        with pytest.raises(InvalidOrder, match="cannot exit yet.*T\\+1"):
            await b.place_order(req("sp-p1-cl-1", OrderAction.SELL, "200"))
        srv.sim.new_day()
        sold = await b.place_order(req("sp-p1-cl-2", OrderAction.SELL, "200"))
        assert sold.status is OrderStatus.FILLED
        (sell_fill,) = await b.poll()
        assert sell_fill.fee == D("6.02")  # 5 commission + 1.00 stamp duty + 0.02 transfer fee
        bal = await b.balance()
        assert bal.currency == "CNY" and bal.equity == D(1_000_000) - D("5.02") - D("6.02")
        await b.close()


def order_id(order) -> int:
    return int(order.exchange_id)


async def test_partial_fills_then_cancel_keeps_what_filled():
    async with running_bridge() as srv:
        srv.sim.set_price("000001.SZ", 12.0, last_close=12.0, liquidity=100)
        b, _ = broker_for(srv.url, ManualClock(IN_SESSION))
        await b.start()
        order = await b.place_order(req("sp-p2-en-1", OrderAction.BUY, "300", OrderType.LIMIT, "12.00",
                                        symbol="000001.SZ"))
        assert order.status is OrderStatus.OPEN and order.filled_qty == 100
        srv.sim.set_price("000001.SZ", 11.99)
        assert (await b.fetch_order("sp-p2-en-1", "000001.SZ")).filled_qty == 200
        assert [o.client_id for o in await b.open_orders()] == ["sp-p2-en-1"]
        cancelled = await b.cancel_order("sp-p2-en-1", "000001.SZ")
        assert cancelled.status is OrderStatus.CANCELLED and cancelled.filled_qty == 200
        fills = await b.fetch_fills("sp-p2-en-1", "000001.SZ")
        assert [f.qty for f in fills] == [100, 100] and len({f.trade_id for f in fills}) == 2
        assert await b.open_orders() == []
        await b.close()


async def test_a_junk_order_is_a_clear_rejection():
    async with running_bridge(cash=5_000) as srv:
        srv.sim.set_price("600000.SH", 10.0)
        b, _ = broker_for(srv.url, ManualClock(IN_SESSION))
        await b.start()
        with pytest.raises(InvalidOrder, match="insufficient cash"):
            await b.place_order(req("sp-p3-en-1", OrderAction.BUY, "1000"))
        with pytest.raises(InvalidOrder, match="less than one lot"):
            await b.place_order(req("sp-p3-en-2", OrderAction.BUY, "99"))
        with pytest.raises(InvalidOrder, match="long only"):
            await b.place_order(OrderRequest("sp-p3-en-3", "600000.SH", OrderAction.SELL, OrderType.MARKET, D(100)))
        with pytest.raises(InvalidOrder, match="longer than QMT's order_remark"):
            await b.place_order(req("sp-0123456789ab-tp1-10000", OrderAction.BUY, "100"))
        with pytest.raises(InvalidOrder, match="not an A-share symbol"):
            await b.place_order(req("sp-p3-en-4", OrderAction.BUY, "100", symbol="BTC/USDT"))
        await b.close()


async def test_a_refused_token_is_an_auth_error_naming_the_variable_without_the_token():
    async with running_bridge() as srv:
        b, _ = broker_for(srv.url, ManualClock(IN_SESSION), token="not-the-right-one")
        with pytest.raises(AuthError) as info:
            await b.start()
        assert "SP_QMT__TOKEN" in str(info.value) and "not-the-right-one" not in str(info.value)


async def test_a_server_that_is_down_is_a_network_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    b, _ = broker_for(f"http://127.0.0.1:{port}", ManualClock(IN_SESSION))
    with pytest.raises(NetworkError, match="cannot be reached.*SP_QMT__URL"):
        await b.start()


async def test_a_lost_answer_is_found_by_order_remark_and_never_resent():
    async with running_bridge() as srv:
        srv.sim.set_price("600000.SH", 10.0)
        b, _ = broker_for(srv.url, ManualClock(IN_SESSION))
        await b.start()
        srv.bridge.lose_answers = 1
        order = await b.place_order(req("sp-p4-en-1", OrderAction.BUY, "100"))
        assert order.client_id == "sp-p4-en-1" and order.status is OrderStatus.FILLED
        again = await b.place_order(req("sp-p4-en-1", OrderAction.BUY, "100"))  # e.g. after a restart
        assert again.exchange_id == order.exchange_id
        assert [o.order_remark for o in srv.sim.orders.values()] == ["sp-p4-en-1"]
        await b.close()


async def test_no_orders_outside_sessions_and_at_most_five_a_minute():
    async with running_bridge() as srv:
        srv.sim.set_price("600000.SH", 10.0)
        clock = ManualClock(shanghai("2026-12-02", "12:00"))  # lunch break
        b, _ = broker_for(srv.url, clock)
        await b.start()
        with pytest.raises(InvalidOrder, match="market is closed.*13:00"):
            await b.place_order(req("sp-p5-en-1", OrderAction.BUY, "100"))
        clock.set(shanghai("2026-12-02", "13:00"))
        for n in range(5):
            await b.place_order(req(f"sp-p5-en-{n + 2}", OrderAction.BUY, "100"))
        with pytest.raises(InvalidOrder, match="5 orders a minute"):
            await b.place_order(req("sp-p5-en-9", OrderAction.BUY, "100"))
        assert len(srv.sim.orders) == 5
        await b.close()


async def test_stops_are_watched_by_the_engine_armed_from_the_next_session_and_sent_inside_the_limit():
    async with running_bridge() as srv:
        srv.sim.set_price("600000.SH", 10.0, last_close=10.0)
        clock = ManualClock(IN_SESSION)
        store = MemoryStore()
        b, fills = broker_for(srv.url, clock, store=store)
        await b.start()
        await b.place_order(req("sp-p6-en-1", OrderAction.BUY, "300"))
        stop = await b.place_order(req("sp-p6-sl-1", OrderAction.SELL, "300", OrderType.STOP_MARKET,
                                       trigger="9.50"))
        assert stop.status is OrderStatus.OPEN and len(srv.sim.orders) == 1  # nothing at the venue
        srv.sim.set_price("600000.SH", 9.40)
        await b.on_price(PriceTick("600000.SH", D("9.40"), clock.now()))
        assert len(srv.sim.orders) == 1  # cannot exit yet: bought today (T+1)
        assert (await b.fetch_order("sp-p6-sl-1", "600000.SH")).status is OrderStatus.OPEN
        # the next trading day, before the session: still waiting
        srv.sim.new_day()  # closes at 9.40: today's band is 8.46–10.34
        clock.set(shanghai("2026-12-03", "09:00"))
        srv.sim.set_price("600000.SH", 8.46)
        await b.on_price(PriceTick("600000.SH", D("8.46"), clock.now()))
        assert len(srv.sim.orders) == 1
        # a restarted broker knows the trigger from its store
        await b.close()
        b, fills = broker_for(srv.url, clock, store=store)
        notices: list[str] = []

        async def notice(client_id: str, text: str) -> None:
            notices.append(f"{client_id}: {text}")

        b.notices = notice
        await b.start()
        clock.set(shanghai("2026-12-03", "09:30"))
        await b.on_price(PriceTick("600000.SH", D("8.46"), clock.now()))  # at limit-down
        sent = next(o for o in srv.sim.orders.values() if o.order_remark == "sp-p6-sl-1")
        assert sent.price == 8.46  # a marketable limit, never below the limit-down price
        assert notices == ["sp-p6-sl-1: 600000.SH is at its limit-down 8.46: the sell may not fill; it is sent "
                           "once at 8.46 and not retried"]
        (fill,) = await b.poll()
        assert fill.client_id == "sp-p6-sl-1" and fill.qty == 300
        await b.on_price(PriceTick("600000.SH", D("8.40"), clock.now()))
        assert len([o for o in srv.sim.orders.values() if o.order_remark == "sp-p6-sl-1"]) == 1  # sent once
        await b.close()


async def test_a_cancelled_target_never_goes_out():
    async with running_bridge() as srv:
        srv.sim.set_price("600000.SH", 10.0)
        b, _ = broker_for(srv.url, ManualClock(IN_SESSION), store=MemoryStore())
        await b.start()
        await b.place_order(req("sp-p7-tp1-1", OrderAction.SELL, "100", OrderType.TAKE_PROFIT, "10.50", "10.50"))
        assert [o.client_id for o in await b.open_orders("600000.SH")] == ["sp-p7-tp1-1"]
        assert (await b.cancel_order("sp-p7-tp1-1", "600000.SH")).status is OrderStatus.CANCELLED
        srv.sim.set_price("600000.SH", 10.6)
        await b.on_price(PriceTick("600000.SH", D("10.6"), IN_SESSION))
        assert srv.sim.orders == {}
        await b.close()
