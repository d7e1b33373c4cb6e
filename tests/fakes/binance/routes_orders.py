"""Trading endpoints: orders, algo (conditional) orders, open/all order lists, user trades.

Each handler takes ``(fake, params)`` with string parameters as sent, turns them into typed
values and calls the matching engine. Since Binance moved conditional orders to the algo
service, STOP/TAKE_PROFIT types sent to ``/fapi/v1/order`` are refused with -4120.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from . import errors
from .rules import bool_param, decimal_param

if TYPE_CHECKING:
    from .server import FakeBinance

CONDITIONAL = ("STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET")
DONE_MSG = "The operation of cancel all open order is done."


def _limit(params: dict, default: int, top: int) -> int:
    return min(int(params.get("limit", default)), top)


def _time_filter(rows: list, params: dict, key) -> list:
    start, end = params.get("startTime"), params.get("endTime")
    if start is not None:
        rows = [r for r in rows if key(r) >= int(start)]
    if end is not None:
        rows = [r for r in rows if key(r) <= int(end)]
    return rows


# ------------------------------------------------------------------ regular orders
def new_order(fake: FakeBinance, params: dict) -> dict:
    order_type = params.get("type")
    if order_type is None:
        raise errors.mandatory("type")
    if order_type in CONDITIONAL:
        raise errors.BinanceError(
            -4120, "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.")
    tif = params.get("timeInForce", "GTC")
    if order_type == "LIMIT" and "timeInForce" not in params:
        raise errors.mandatory("timeInForce")
    order = fake.exchange.place_order(
        symbol=params.get("symbol"), side=params.get("side"), type=order_type,
        qty=decimal_param(params, "quantity"), price=decimal_param(params, "price", required=False),
        tif=tif, position_side=params.get("positionSide", "BOTH"),
        reduce_only=bool_param(params, "reduceOnly"), client_id=params.get("newClientOrderId"))
    body = order.to_json(with_time=False)
    if params.get("newOrderRespType", "ACK") == "ACK":
        body.update({"status": "NEW", "executedQty": "0", "cumQty": "0", "cumQuote": "0", "avgPrice": "0"})
    return body


def get_order(fake: FakeBinance, params: dict) -> dict:
    order = fake.exchange.find_order(params.get("symbol"), params.get("orderId"), params.get("origClientOrderId"))
    return order.to_json()


def get_open_order(fake: FakeBinance, params: dict) -> dict:
    order = get_order(fake, params)
    if order["status"] not in ("NEW", "PARTIALLY_FILLED"):
        raise errors.no_such_order()
    return order


def cancel_order(fake: FakeBinance, params: dict) -> dict:
    with contextlib.suppress(errors.BinanceError):  # a fill racing this cancel (fake.fill_before_cancel)
        found = fake.exchange.find_order(params.get("symbol"), params.get("orderId"), params.get("origClientOrderId"))
        qty = fake.fills_on_cancel.pop(found.client_id, None)
        if qty is not None and found.is_open:
            fake.exchange.fill_resting(found, min(qty, found.remaining))
    order = fake.exchange.cancel_order(params.get("symbol"), params.get("orderId"),
                                       params.get("origClientOrderId"))
    return order.to_json(with_time=False)


def open_orders(fake: FakeBinance, params: dict) -> list[dict]:
    symbol = params.get("symbol")
    if symbol:
        fake.exchange.spec(symbol)
    return [o.to_json() for o in sorted(fake.exchange.orders.values(), key=lambda o: o.order_id)
            if o.is_open and (not symbol or o.symbol == symbol)]


def all_orders(fake: FakeBinance, params: dict) -> list[dict]:
    symbol = params.get("symbol")
    fake.exchange.spec(symbol)
    rows = [o for o in sorted(fake.exchange.orders.values(), key=lambda o: o.order_id) if o.symbol == symbol]
    if params.get("orderId") is not None:
        rows = [o for o in rows if o.order_id >= int(params["orderId"])]
    rows = _time_filter(rows, params, lambda o: o.time)
    return [o.to_json() for o in rows][: _limit(params, 500, 1000)]


def cancel_all(fake: FakeBinance, params: dict) -> dict:
    fake.exchange.cancel_all(params.get("symbol"))
    return {"code": 200, "msg": DONE_MSG}


# ------------------------------------------------------------------ algo orders
def new_algo(fake: FakeBinance, params: dict) -> dict:
    algo_type = params.get("algoType")
    if algo_type is None:
        raise errors.mandatory("algoType")
    if algo_type != "CONDITIONAL":
        raise errors.bad_param("algoType")
    order_type = params.get("type")
    if order_type is None:
        raise errors.mandatory("type")
    algo = fake.exchange.place_algo(
        symbol=params.get("symbol"), side=params.get("side"), order_type=order_type,
        qty=decimal_param(params, "quantity", required=False),
        trigger=decimal_param(params, "triggerPrice", required=False),
        price=decimal_param(params, "price", required=False), tif=params.get("timeInForce", "GTC"),
        working_type=params.get("workingType", "CONTRACT_PRICE"),
        position_side=params.get("positionSide", "BOTH"), reduce_only=bool_param(params, "reduceOnly"),
        close_position=bool_param(params, "closePosition"), client_algo_id=params.get("clientAlgoId"),
        price_protect=bool_param(params, "priceProtect"))
    body = algo.to_json()
    for key in ("actualOrderId", "actualPrice", "tpTriggerPrice", "tpPrice", "slTriggerPrice", "slPrice",
                "tpOrderType"):
        body.pop(key)
    return body


def get_algo(fake: FakeBinance, params: dict) -> dict:
    return fake.exchange.find_algo(params.get("algoId"), params.get("clientAlgoId")).to_json()


def cancel_algo(fake: FakeBinance, params: dict) -> dict:
    algo = fake.exchange.cancel_algo(params.get("algoId"), params.get("clientAlgoId"))
    return {"algoId": algo.algo_id, "clientAlgoId": algo.client_algo_id, "code": "200", "msg": "success"}


def open_algos(fake: FakeBinance, params: dict) -> list[dict]:
    symbol = params.get("symbol")
    if symbol:
        fake.exchange.spec(symbol)
    return [a.to_json() for a in sorted(fake.exchange.algo_orders.values(), key=lambda a: a.algo_id)
            if a.is_open and (not symbol or a.symbol == symbol)]


def all_algos(fake: FakeBinance, params: dict) -> list[dict]:
    symbol = params.get("symbol")
    fake.exchange.spec(symbol)
    rows = [a for a in sorted(fake.exchange.algo_orders.values(), key=lambda a: a.algo_id) if a.symbol == symbol]
    rows = _time_filter(rows, params, lambda a: a.create_time)
    return [a.to_json() for a in rows][: _limit(params, 500, 1000)]


def cancel_all_algos(fake: FakeBinance, params: dict) -> dict:
    fake.exchange.cancel_all_algos(params.get("symbol"))
    return {"code": 200, "msg": DONE_MSG}


# ------------------------------------------------------------------ trades
def user_trades(fake: FakeBinance, params: dict) -> list[dict]:
    symbol = params.get("symbol")
    fake.exchange.spec(symbol)
    rows = [t for t in fake.exchange.trades if t.symbol == symbol]
    if params.get("orderId") is not None:
        rows = [t for t in rows if str(t.order_id) == str(params["orderId"])]
    if params.get("fromId") is not None:
        rows = [t for t in rows if t.trade_id >= int(params["fromId"])]
    rows = _time_filter(rows, params, lambda t: t.time)
    limit = _limit(params, 500, 1000)
    rows = rows[:limit] if params.get("fromId") is not None or params.get("startTime") else rows[-limit:]
    return [t.to_json() for t in rows]


ROUTES = {
    ("POST", "/fapi/v1/order"): new_order,
    ("GET", "/fapi/v1/order"): get_order,
    ("DELETE", "/fapi/v1/order"): cancel_order,
    ("GET", "/fapi/v1/openOrder"): get_open_order,
    ("GET", "/fapi/v1/openOrders"): open_orders,
    ("GET", "/fapi/v1/allOrders"): all_orders,
    ("DELETE", "/fapi/v1/allOpenOrders"): cancel_all,
    ("POST", "/fapi/v1/algoOrder"): new_algo,
    ("GET", "/fapi/v1/algoOrder"): get_algo,
    ("DELETE", "/fapi/v1/algoOrder"): cancel_algo,
    ("GET", "/fapi/v1/openAlgoOrders"): open_algos,
    ("GET", "/fapi/v1/allAlgoOrders"): all_algos,
    ("DELETE", "/fapi/v1/algoOpenOrders"): cancel_all_algos,
    ("GET", "/fapi/v1/userTrades"): user_trades,
}
