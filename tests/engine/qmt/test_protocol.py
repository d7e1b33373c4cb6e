"""The bridge server speaks QKA's protocol: token, answers, errors, fields (over real HTTP)."""

from __future__ import annotations

import aiohttp

from engine.qmt import protocol as p
from tests.engine.qmt.bridge import TOKEN, running_bridge


async def _post(url: str, method: str, body: object = None, token: str = TOKEN) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http, http.post(f"{url}/api/{method}", json=body,
                                                           headers={"X-Token": token}) as resp:
        return resp.status, await resp.json()


async def test_wrong_token_is_401_with_detail_and_the_trader_is_not_called():
    async with running_bridge() as srv:
        status, body = await _post(srv.url, "query_stock_asset", {}, token="wrong")
        assert status == 401 and "detail" in body
        assert srv.bridge.calls == []


async def test_answers_are_success_and_data_with_xtquant_field_names():
    async with running_bridge(cash=50_000) as srv:
        srv.sim.set_price("600000.SH", 10.0)
        status, body = await _post(srv.url, "query_stock_asset", {})
        assert status == 200 and body["success"] is True
        assert set(body["data"]) == set(p.ASSET_FIELDS) and body["data"]["cash"] == 50_000
        status, body = await _post(srv.url, "order_stock", {
            "stock_code": "600000.SH", "order_type": p.STOCK_BUY, "order_volume": 200, "price_type": p.FIX_PRICE,
            "price": 10.0, "strategy_name": "s", "order_remark": "sp-abc-en-1"})
        order_id = body["data"]
        assert status == 200 and isinstance(order_id, int) and order_id > 0
        _, orders = await _post(srv.url, "query_stock_orders", {"cancelable_only": False})
        (order,) = orders["data"]
        assert set(order) == set(p.ORDER_FIELDS)
        assert order["order_remark"] == "sp-abc-en-1" and order["order_status"] == p.ORDER_SUCCEEDED
        _, trades = await _post(srv.url, "query_stock_trades", {})
        assert set(trades["data"][0]) == set(p.TRADE_FIELDS) and trades["data"][0]["order_id"] == order_id
        _, positions = await _post(srv.url, "query_stock_positions", {})
        (pos,) = positions["data"]
        assert set(pos) == set(p.POSITION_FIELDS)
        assert pos["volume"] == 200 and pos["can_use_volume"] == 0  # T+1
        _, ticks = await _post(srv.url, "get_full_tick", {"code_list": ["600000.SH", "000001.SZ"]})
        assert list(ticks["data"]) == ["600000.SH"] and ticks["data"]["600000.SH"]["lastPrice"] == 10.0


async def test_an_exception_in_the_trader_is_500_with_its_message():
    async with running_bridge() as srv:
        status, body = await _post(srv.url, "cancel_order_stock", {"order_id": "not-a-number"})
        assert status == 500 and "not-a-number" in body["detail"]
        status, body = await _post(srv.url, "query_stock_orders", {"bogus": 1})
        assert status == 400 and "bogus" in body["detail"]


async def test_invalid_lots_and_prices_outside_the_limits_are_junk_orders():
    async with running_bridge() as srv:
        srv.sim.set_price("600000.SH", 10.0, last_close=10.0)
        base = {"stock_code": "600000.SH", "order_type": p.STOCK_BUY, "price_type": p.FIX_PRICE,
                "strategy_name": "s"}
        await _post(srv.url, "order_stock", {**base, "order_volume": 150, "price": 10.0, "order_remark": "odd"})
        await _post(srv.url, "order_stock", {**base, "order_volume": 100, "price": 11.5, "order_remark": "limit"})
        await _post(srv.url, "order_stock", {**base, "order_volume": 100, "price": 10.005, "order_remark": "tick"})
        _, orders = await _post(srv.url, "query_stock_orders", {"cancelable_only": False})
        junk = {o["order_remark"]: o["status_msg"] for o in orders["data"] if o["order_status"] == p.ORDER_JUNK}
        assert "multiple of 100" in junk["odd"]
        assert "outside today's limits 9.00–11.00" in junk["limit"]
        assert "0.01" in junk["tick"]
        _, asset = await _post(srv.url, "query_stock_asset", {})
        assert asset["data"]["cash"] == 1_000_000 and asset["data"]["frozen_cash"] == 0
