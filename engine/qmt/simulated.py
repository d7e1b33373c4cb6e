"""A simulated ``XtQuantTrader``: cash, positions with T+1 ``can_use_volume``, orders that fill
against a price you set, junk (rejected) orders for invalid lots, prices outside the day's limits,
missing cash or shares. ``signalpilot qmt-server --simulate`` serves it; the tests use it too.

Same method names and arguments as ``XtQuantTrader`` (``account`` first, ignored); results are
dicts with the xtquant objects' field names. Costs follow the A-share rules. The simulator keeps
no sessions: the engine decides when to send orders.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from engine.domain.values import OrderAction
from engine.market_rules.ashare import LOT, TICK, AShareRules
from engine.qmt import protocol as p


@dataclass
class SimOrder:
    order_id: int
    stock_code: str
    order_type: int
    order_volume: int
    price_type: int
    price: float
    strategy_name: str
    order_remark: str
    order_time: int
    traded_volume: int = 0
    traded_price: float = 0.0
    order_status: int = p.ORDER_REPORTED
    status_msg: str = ""
    reserved: Decimal = Decimal(0)  # cash held back for an open buy


@dataclass
class SimPosition:
    stock_code: str
    volume: int = 0
    can_use_volume: int = 0
    open_price: float = 0.0
    avg_price: float = 0.0
    frozen_volume: int = 0
    yesterday_volume: int = 0


def _d(value: float) -> Decimal:
    return Decimal(str(value))


class SimulatedTrader:
    def __init__(self, cash: float = 1_000_000.0, account_id: str = "SIM0001",
                 rules: AShareRules | None = None) -> None:
        self.account_id = account_id
        self.cash = _d(cash)
        self.rules = rules or AShareRules()
        self.prices: dict[str, Decimal] = {}
        self.last_close: dict[str, Decimal] = {}
        self.liquidity: dict[str, int] = {}  # code → shares that can trade per price update (partial fills)
        self.positions: dict[str, SimPosition] = {}
        self.orders: dict[int, SimOrder] = {}
        self.trades: list[dict[str, Any]] = []
        self.day: str | None = None  # the trading date the simulator is on (set_day)
        self._ids = itertools.count(1001)
        self._trade_ids = itertools.count(1)

    # --- controls (the simulator's own, not xtquant's) ---------------------------------------------
    def set_price(self, stock_code: str, price: float, *, last_close: float | None = None,
                  liquidity: int | None = None) -> None:
        """The latest price of a stock; resting orders that it crosses fill (up to ``liquidity``)."""
        self.prices[stock_code] = _d(price).quantize(TICK)
        if last_close is not None:
            self.last_close[stock_code] = _d(last_close).quantize(TICK)
        self.last_close.setdefault(stock_code, self.prices[stock_code])
        if liquidity is not None:
            self.liquidity[stock_code] = liquidity
        for order in list(self.orders.values()):
            if order.stock_code == stock_code and order.order_status in (p.ORDER_REPORTED, p.ORDER_PART_SUCC):
                self._match(order)

    def set_day(self, day: str) -> bool:
        """Move to the trading date ``day`` (ISO); rolls over (``new_day``) when it is a new one."""
        rolled = self.day is not None and day > self.day
        if rolled:
            self.new_day()
        if self.day is None or day > self.day:
            self.day = day
        return rolled

    def new_day(self) -> None:
        """Next trading day: yesterday's buys become sellable, day orders expire, closes roll."""
        for order in self.orders.values():
            if order.order_status in (p.ORDER_REPORTED, p.ORDER_PART_SUCC):
                self._cancel(order)
        for pos in self.positions.values():
            pos.can_use_volume = pos.volume
            pos.yesterday_volume = pos.volume
        self.last_close.update(self.prices)

    # --- XtQuantTrader ----------------------------------------------------------------------------
    def order_stock(self, account: object, stock_code: str, order_type: int, order_volume: int,
                    price_type: int = p.FIX_PRICE, price: float = 0.0, strategy_name: str = "",
                    order_remark: str = "") -> int:
        order = SimOrder(next(self._ids), stock_code, int(order_type), int(order_volume), int(price_type),
                         float(price), strategy_name, order_remark, int(time.time()))
        self.orders[order.order_id] = order
        problem = self._check(order)
        if problem:
            order.order_status, order.status_msg = p.ORDER_JUNK, problem
            return order.order_id
        if order.order_type == p.STOCK_BUY:
            order.reserved = self._reserve(order)
            self.cash -= order.reserved
        else:
            self.positions[stock_code].can_use_volume -= order.order_volume
            self.positions[stock_code].frozen_volume += order.order_volume
        self._match(order)
        return order.order_id

    def cancel_order_stock(self, account: object, order_id: int) -> int:
        order = self.orders.get(int(order_id))
        if order is None or order.order_status not in (p.ORDER_REPORTED, p.ORDER_PART_SUCC):
            return -1
        self._cancel(order)
        return 0

    def query_stock_asset(self, account: object) -> dict[str, Any]:
        frozen = sum((o.reserved for o in self.orders.values()), Decimal(0))
        value = sum((self.prices.get(c, _d(pos.avg_price)) * pos.volume for c, pos in self.positions.items()),
                    Decimal(0))
        return {"account_id": self.account_id, "cash": float(self.cash), "frozen_cash": float(frozen),
                "market_value": float(value), "total_asset": float(self.cash + frozen + value)}

    def query_stock_orders(self, account: object, cancelable_only: bool = False) -> list[dict[str, Any]]:
        return [p.as_dict(asdict(o), p.ORDER_FIELDS) for o in self.orders.values()
                if not cancelable_only or o.order_status in p.OPEN_STATUSES]

    def query_stock_trades(self, account: object) -> list[dict[str, Any]]:
        return list(self.trades)

    def query_stock_positions(self, account: object) -> list[dict[str, Any]]:
        out = []
        for code, pos in self.positions.items():
            if pos.volume <= 0:
                continue
            row = asdict(pos)
            row["market_value"] = float(self.prices.get(code, _d(pos.avg_price)) * pos.volume)
            out.append(row)
        return out

    def get_full_tick(self, code_list: list[str]) -> dict[str, dict[str, Any]]:
        """The shape of ``xtdata.get_full_tick`` for the codes with a price."""
        out = {}
        for code in code_list:
            price = self.prices.get(code)
            if price is None:
                continue
            last = float(price)
            out[code] = {"time": int(time.time() * 1000), "lastPrice": last, "open": last, "high": last,
                         "low": last, "lastClose": float(self.last_close.get(code, price)), "amount": 0.0,
                         "volume": 0, "askPrice": [last] * 5, "bidPrice": [last] * 5, "askVol": [0] * 5,
                         "bidVol": [0] * 5}
        return out

    # --- inside -------------------------------------------------------------------------------------
    def _check(self, order: SimOrder) -> str:
        if order.order_type not in (p.STOCK_BUY, p.STOCK_SELL):
            return f"unknown order_type {order.order_type}"
        if order.price_type not in (p.FIX_PRICE, p.LATEST_PRICE):
            return f"unsupported price_type {order.price_type}"
        if order.order_volume <= 0:
            return "order volume must be positive"
        if order.price_type == p.LATEST_PRICE and order.stock_code not in self.prices:
            return f"no latest price for {order.stock_code}"
        price = self._limit(order)
        if order.price_type == p.FIX_PRICE and (price <= 0 or price != price.quantize(TICK)):
            return f"price {order.price} is not a multiple of 0.01"
        band = self.rules.price_band(order.stock_code, self.last_close.get(order.stock_code))
        if band is not None and not band[0] <= price <= band[1]:
            return f"price {price} outside today's limits {band[0]}–{band[1]}"
        if order.order_type == p.STOCK_BUY:
            if order.order_volume % int(LOT):
                return f"buy volume {order.order_volume} is not a multiple of 100 shares"
            if self._reserve(order) > self.cash:
                return "insufficient cash"
        else:
            pos = self.positions.get(order.stock_code)
            usable = pos.can_use_volume if pos else 0
            if order.order_volume > usable:
                return f"sell volume {order.order_volume} exceeds sellable {usable} (T+1)"
            if order.order_volume % int(LOT) and order.order_volume != usable:
                return "odd lot: a sell under 100 shares must sell the whole remainder"
        return ""

    def _limit(self, order: SimOrder) -> Decimal:
        if order.price_type == p.LATEST_PRICE:
            return self.prices.get(order.stock_code, Decimal(0))
        return _d(order.price)

    def _reserve(self, order: SimOrder, volume: int | None = None) -> Decimal:
        qty = Decimal(order.order_volume if volume is None else volume)
        price = self._limit(order)
        return qty * price + self.rules.costs(OrderAction.BUY, qty, price)

    def _match(self, order: SimOrder) -> None:
        last = self.prices.get(order.stock_code)
        if last is None:
            return
        limit = self._limit(order)
        buy = order.order_type == p.STOCK_BUY
        if (buy and last > limit) or (not buy and last < limit):
            return
        qty = order.order_volume - order.traded_volume
        cap = self.liquidity.get(order.stock_code)
        if cap is not None:
            qty = min(qty, cap)
        if qty <= 0:
            return
        self._fill(order, qty, last)

    def _fill(self, order: SimOrder, qty: int, price: Decimal) -> None:
        value = price * qty
        buy = order.order_type == p.STOCK_BUY
        fee = self.rules.costs(OrderAction.BUY if buy else OrderAction.SELL, Decimal(qty), price)
        pos = self.positions.setdefault(order.stock_code, SimPosition(order.stock_code))
        if buy:
            release = min(order.reserved, self._limit(order) * qty)
            order.reserved -= release
            self.cash += release - value - fee
            cost = _d(pos.avg_price) * pos.volume + value
            pos.volume += qty  # not sellable until the next trading day (T+1)
            pos.avg_price = float((cost / pos.volume).quantize(Decimal("0.0001")))
            pos.open_price = pos.open_price or float(price)
        else:
            self.cash += value - fee
            pos.volume -= qty
            pos.frozen_volume -= qty
        done = order.traded_volume + qty
        order.traded_price = float(((_d(order.traded_price) * order.traded_volume + value) / done)
                                   .quantize(Decimal("0.0001")))
        order.traded_volume = done
        order.order_status = p.ORDER_SUCCEEDED if done >= order.order_volume else p.ORDER_PART_SUCC
        if order.order_status == p.ORDER_SUCCEEDED:
            self.cash += order.reserved
            order.reserved = Decimal(0)
        self.trades.append({"traded_id": f"T{next(self._trade_ids)}", "stock_code": order.stock_code,
                            "order_type": order.order_type, "traded_volume": qty, "traded_price": float(price),
                            "order_id": order.order_id, "traded_time": int(time.time()),
                            "order_remark": order.order_remark})

    def _cancel(self, order: SimOrder) -> None:
        rest = order.order_volume - order.traded_volume
        if order.order_type == p.STOCK_BUY:
            self.cash += order.reserved
            order.reserved = Decimal(0)
        else:
            pos = self.positions[order.stock_code]
            pos.can_use_volume += rest
            pos.frozen_volume -= rest
        order.order_status = p.ORDER_PART_CANCEL if order.traded_volume else p.ORDER_CANCELED
