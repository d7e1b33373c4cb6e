"""User-data-stream payloads: ORDER_TRADE_UPDATE, ALGO_UPDATE and ACCOUNT_UPDATE.

Field names follow Binance's USDⓈ-M user data stream, as ccxt.pro's ``handle_order_update``
and ``handle_acount_update`` read them.
"""

from __future__ import annotations

from decimal import Decimal

from .state import ZERO, AlgoOrder, Order, Position, s


def order_update(order: Order, execution: str, now: int, *, last_qty: Decimal = ZERO,
                 last_price: Decimal = ZERO, commission: Decimal = ZERO, realized: Decimal = ZERO,
                 maker: bool = False, trade_id: int = 0) -> dict:
    body = {
        "s": order.symbol, "c": order.client_id, "S": order.side, "o": order.type,
        "f": order.tif, "q": s(order.qty), "p": s(order.price), "ap": s(order.avg_price),
        "sp": s(order.stop_price), "x": execution, "X": order.status, "i": order.order_id,
        "l": s(last_qty), "z": s(order.executed), "L": s(last_price),
        "T": now, "t": trade_id, "b": "0", "a": "0", "m": maker, "R": order.reduce_only,
        "wt": order.working_type, "ot": order.orig_type or order.type, "ps": order.position_side,
        "cp": order.close_position, "rp": s(realized), "pP": False, "si": 0, "ss": 0,
        "V": "EXPIRE_MAKER", "pm": "NONE", "gtd": 0, "O": order.time,
    }
    if commission:
        body["N"] = "USDT"
        body["n"] = s(commission)
    return {"e": "ORDER_TRADE_UPDATE", "E": now, "T": now, "o": body}


def algo_update(algo: AlgoOrder, now: int) -> dict:
    body = {
        "caid": algo.client_algo_id, "aid": algo.algo_id, "at": "CONDITIONAL", "o": algo.order_type,
        "s": algo.symbol, "S": algo.side, "ps": algo.position_side, "f": algo.tif,
        "q": s(algo.qty), "X": algo.status,
        "ai": "" if algo.actual_order_id is None else str(algo.actual_order_id),
        "ap": s(algo.actual_price), "aq": s(algo.executed), "act": "MARKET" if algo.is_market else "LIMIT",
        "tp": s(algo.trigger_price), "p": s(algo.price), "V": "EXPIRE_MAKER", "wt": algo.working_type,
        "pm": "NONE", "cp": algo.close_position, "pP": algo.price_protect, "R": algo.reduce_only,
        "tt": algo.trigger_time, "gtd": 0,
    }
    if algo.reject_reason:
        body["rm"] = algo.reject_reason
    return {"e": "ALGO_UPDATE", "T": now, "E": now, "o": body}


def account_update(reason: str, now: int, wallet: Decimal, cross_wallet: Decimal,
                   positions: list[tuple[Position, Decimal, str]]) -> dict:
    """``positions`` holds (position, unrealized pnl, margin type "cross"/"isolated")."""
    return {
        "e": "ACCOUNT_UPDATE", "E": now, "T": now,
        "a": {
            "m": reason,
            "B": [{"a": "USDT", "wb": s(wallet), "cw": s(cross_wallet), "bc": "0"}],
            "P": [
                {"s": p.symbol, "pa": s(p.amt), "ep": s(p.entry_price), "bep": s(p.entry_price),
                 "cr": "0", "up": s(up), "mt": mt, "iw": "0", "ps": p.position_side, "ma": "USDT"}
                for p, up, mt in positions
            ],
        },
    }
