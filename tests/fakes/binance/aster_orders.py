"""Orders as Aster takes them: stop and take-profit types are ordinary orders of ``/fapi/v3/order``
(Aster never moved them to an algo service). The fake keeps them in its conditional book and shows
them in the order shape: found, listed and cancelled by client id like any order; once triggered,
the order is the market order it became, under the client id it was given."""

from __future__ import annotations

from . import errors, routes_orders
from .rules import bool_param, decimal_param

STATUS = {"NEW": "NEW", "CANCELED": "CANCELED", "EXPIRED": "EXPIRED", "REJECTED": "REJECTED"}


def _shown(fake, algo) -> dict:
    if algo.actual_order_id is not None:  # triggered: the order it became
        child = fake.exchange.orders[algo.actual_order_id].to_json()
        child.update({"clientOrderId": algo.client_algo_id, "origType": algo.order_type,
                      "stopPrice": str(algo.trigger_price)})
        return child
    return {"orderId": algo.algo_id, "symbol": algo.symbol, "status": STATUS.get(algo.status, "NEW"),
            "clientOrderId": algo.client_algo_id, "price": str(algo.price), "avgPrice": "0",
            "origQty": str(algo.qty), "executedQty": "0", "cumQty": "0", "cumQuote": "0",
            "timeInForce": algo.tif, "type": algo.order_type, "origType": algo.order_type,
            "reduceOnly": algo.reduce_only, "closePosition": algo.close_position, "side": algo.side,
            "positionSide": algo.position_side, "stopPrice": str(algo.trigger_price),
            "workingType": algo.working_type, "priceProtect": algo.price_protect,
            "time": algo.create_time, "updateTime": algo.update_time or algo.create_time}


def _conditional(fake, params: dict):
    client_id = params.get("origClientOrderId")
    order_id = params.get("orderId")
    for algo in sorted(fake.exchange.algo_orders.values(), key=lambda a: -a.algo_id):
        if algo.symbol == params.get("symbol") and (
                (client_id is not None and algo.client_algo_id == client_id)
                or (order_id is not None and str(algo.algo_id) == str(order_id))):
            return algo
    return None


def new_order(fake, params: dict) -> dict:
    if params.get("type") not in routes_orders.CONDITIONAL:
        return routes_orders.new_order(fake, params)
    algo = fake.exchange.place_algo(
        symbol=params.get("symbol"), side=params.get("side"), order_type=params["type"],
        qty=decimal_param(params, "quantity", required=False),
        trigger=decimal_param(params, "stopPrice", required=False),
        price=decimal_param(params, "price", required=False), tif=params.get("timeInForce", "GTC"),
        working_type=params.get("workingType", "CONTRACT_PRICE"),
        position_side=params.get("positionSide", "BOTH"), reduce_only=bool_param(params, "reduceOnly"),
        close_position=bool_param(params, "closePosition"), client_algo_id=params.get("newClientOrderId"),
        price_protect=bool_param(params, "priceProtect"))
    return _shown(fake, algo)


def get_order(fake, params: dict) -> dict:
    algo = _conditional(fake, params)
    return _shown(fake, algo) if algo is not None else routes_orders.get_order(fake, params)


def get_open_order(fake, params: dict) -> dict:
    order = get_order(fake, params)
    if order["status"] not in ("NEW", "PARTIALLY_FILLED"):
        raise errors.no_such_order()
    return order


def cancel_order(fake, params: dict) -> dict:
    algo = _conditional(fake, params)
    if algo is None:
        return routes_orders.cancel_order(fake, params)
    fake.exchange.cancel_algo(str(algo.algo_id), None)
    return _shown(fake, algo)


def open_orders(fake, params: dict) -> list[dict]:
    symbol = params.get("symbol")
    resting = [_shown(fake, a) for a in sorted(fake.exchange.algo_orders.values(), key=lambda a: a.algo_id)
               if a.is_open and a.actual_order_id is None and (not symbol or a.symbol == symbol)]
    return routes_orders.open_orders(fake, params) + resting


ROUTES = {
    ("POST", "/fapi/v3/order"): new_order, ("GET", "/fapi/v3/order"): get_order,
    ("DELETE", "/fapi/v3/order"): cancel_order, ("GET", "/fapi/v3/openOrder"): get_open_order,
    ("GET", "/fapi/v3/openOrders"): open_orders,
}
