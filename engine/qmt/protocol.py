"""The QMT bridge protocol, as QKA's ``QMTServer`` speaks it.

``POST {base}/api/{method}`` with header ``X-Token``; the JSON body holds the parameters of the
``XtQuantTrader`` method of that name without ``account``; the answer is
``{"success": true, "data": ...}``; a wrong token gives 401 ``{"detail": ...}``, an exception in the
trader 500 ``{"detail": "<message>"}``. Our client order id travels in ``order_remark``.
"""

from __future__ import annotations

TOKEN_HEADER = "X-Token"
REMARK_MAX = 24  # order_remark: at most 24 ASCII characters (XtOrder)

# xtquant.xtconstant
STOCK_BUY = 23
STOCK_SELL = 24
FIX_PRICE = 11
LATEST_PRICE = 5

ORDER_UNREPORTED = 48
ORDER_WAIT_REPORTING = 49
ORDER_REPORTED = 50
ORDER_REPORTED_CANCEL = 51
ORDER_PARTSUCC_CANCEL = 52
ORDER_PART_CANCEL = 53
ORDER_CANCELED = 54
ORDER_PART_SUCC = 55
ORDER_SUCCEEDED = 56
ORDER_JUNK = 57
ORDER_UNKNOWN = 255

OPEN_STATUSES = frozenset({ORDER_UNREPORTED, ORDER_WAIT_REPORTING, ORDER_REPORTED, ORDER_REPORTED_CANCEL,
                           ORDER_PARTSUCC_CANCEL, ORDER_PART_SUCC})
FINAL_STATUSES = frozenset({ORDER_PART_CANCEL, ORDER_CANCELED, ORDER_SUCCEEDED, ORDER_JUNK})

# the trader methods the server exposes, with the parameters each takes (besides ``account``)
METHODS: dict[str, tuple[str, ...]] = {
    "order_stock": ("stock_code", "order_type", "order_volume", "price_type", "price", "strategy_name",
                    "order_remark"),
    "cancel_order_stock": ("order_id",),
    "query_stock_asset": (),
    "query_stock_orders": ("cancelable_only",),
    "query_stock_trades": (),
    "query_stock_positions": (),
}

ASSET_FIELDS = ("account_id", "cash", "frozen_cash", "market_value", "total_asset")
ORDER_FIELDS = ("order_id", "stock_code", "order_type", "order_volume", "price_type", "price", "traded_volume",
                "traded_price", "order_status", "status_msg", "strategy_name", "order_remark", "order_time")
TRADE_FIELDS = ("traded_id", "stock_code", "order_type", "traded_volume", "traded_price", "order_id",
                "traded_time", "order_remark")
POSITION_FIELDS = ("stock_code", "volume", "can_use_volume", "open_price", "avg_price", "market_value",
                   "frozen_volume", "yesterday_volume")

# xtdata.get_full_tick: one dict per code with (among others) these fields
TICK_FIELDS = ("time", "lastPrice", "open", "high", "low", "lastClose", "amount", "volume", "askPrice",
               "bidPrice", "askVol", "bidVol")


def as_dict(obj: object, fields: tuple[str, ...]) -> dict[str, object]:
    """An xtquant result object (``XtAsset``, ``XtOrder``, …) or a dict, as a JSON-ready dict."""
    if isinstance(obj, dict):
        return {f: obj.get(f) for f in fields}
    return {f: getattr(obj, f, None) for f in fields}


RESULT_FIELDS: dict[str, tuple[str, ...]] = {
    "query_stock_asset": ASSET_FIELDS,
    "query_stock_orders": ORDER_FIELDS,
    "query_stock_trades": TRADE_FIELDS,
    "query_stock_positions": POSITION_FIELDS,
}


def to_json(method: str, result: object) -> object:
    """The ``data`` of an answer: objects flattened to the protocol's fields, lists kept as lists."""
    fields = RESULT_FIELDS.get(method)
    if fields is None or result is None:
        return result
    if isinstance(result, list | tuple):
        return [as_dict(item, fields) for item in result]
    return as_dict(result, fields)
