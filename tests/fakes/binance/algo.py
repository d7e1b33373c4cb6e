"""Conditional (algo) orders of the fake venue, as Binance's Algo Service runs them.

``AlgoBook`` is mixed into ``Exchange``: it places STOP_MARKET / TAKE_PROFIT_MARKET / STOP /
TAKE_PROFIT orders (refusing ones that would fire at once, -2021), fires them into child orders
when the working price crosses the trigger, and reports status NEW → TRIGGERING → TRIGGERED →
FINISHED with ``actualOrderId`` naming the child. closePosition orders close the whole position
and expire (GTE_GTC) when the position goes flat before they fire; a reduce-only one firing with
nothing to reduce ends REJECTED ("Reduce Only reject").
"""

from __future__ import annotations

from decimal import Decimal

from . import errors, rules
from .events import algo_update
from .state import ZERO, AlgoOrder, Order

ALGO_TYPES = ("STOP_MARKET", "TAKE_PROFIT_MARKET", "STOP", "TAKE_PROFIT")


class AlgoBook:
    """Algo-order half of ``Exchange`` (uses its specs, tickers, positions and order helpers)."""

    def place_algo(self, *, symbol: str, side: str, order_type: str, qty: Decimal | None,
                   trigger: Decimal | None, price: Decimal | None, tif: str, working_type: str,
                   position_side: str, reduce_only: bool, close_position: bool,
                   client_algo_id: str | None, price_protect: bool = False) -> AlgoOrder:
        spec = self.spec(symbol)
        rules.check_side(side)
        if order_type not in ALGO_TYPES:
            raise errors.BinanceError(-1116, "Invalid orderType.")
        rules.check_position_side(self.hedge, position_side)
        if self.hedge and reduce_only:
            raise errors.not_required("reduceonly")
        if close_position:
            if not order_type.endswith("_MARKET"):
                raise errors.close_position_quantity()
            if qty is not None:
                raise errors.not_required("quantity")
            if reduce_only:
                raise errors.not_required("reduceOnly")
        else:
            if qty is None:
                raise errors.mandatory("quantity")
            rules.check_quantity(spec, qty, market=order_type.endswith("_MARKET"))
        if trigger is None:
            raise errors.mandatory("triggerPrice")
        rules.check_price(spec, trigger)
        if not order_type.endswith("_MARKET"):
            if price is None:
                raise errors.mandatory("price")
            rules.check_price(spec, price)
        rules.check_client_id(client_algo_id)
        if client_algo_id and any(a.is_open and a.client_algo_id == client_algo_id
                                  for a in self.algo_orders.values()):
            raise errors.duplicate_client_id()
        now = self.now_ms()
        algo = AlgoOrder(self._next_algo, client_algo_id or f"fakealgo{self._next_algo}", symbol, side,
                         position_side, order_type, qty or ZERO, trigger, price or ZERO, now, tif=tif,
                         working_type=working_type, reduce_only=reduce_only, close_position=close_position,
                         price_protect=price_protect, update_time=now)
        if algo.triggered_by(self.working_price(symbol, working_type)):
            raise errors.would_trigger()
        closing = close_position or self.closes(side, position_side, reduce_only)
        rules.check_notional(spec, algo.qty, trigger, closing)
        self._next_algo += 1
        self.algo_orders[algo.algo_id] = algo
        self.emit(algo_update(algo, now))
        return algo

    def find_algo(self, algo_id: str | None, client_algo_id: str | None) -> AlgoOrder:
        if algo_id is None and client_algo_id is None:
            raise errors.mandatory("algoId")
        for algo in sorted(self.algo_orders.values(), key=lambda a: -a.algo_id):
            if (algo_id is not None and str(algo.algo_id) == str(algo_id)) or \
                    (algo_id is None and algo.client_algo_id == client_algo_id):
                return algo
        raise errors.no_such_order()

    def cancel_algo(self, algo_id: str | None, client_algo_id: str | None) -> AlgoOrder:
        try:
            algo = self.find_algo(algo_id, client_algo_id)
        except errors.BinanceError as exc:
            raise errors.unknown_order() from exc
        if algo.status != "NEW":
            raise errors.unknown_order()
        self._algo_status(algo, "CANCELED")
        return algo

    def cancel_all_algos(self, symbol: str) -> None:
        self.spec(symbol)
        for algo in list(self.algo_orders.values()):
            if algo.symbol == symbol and algo.status == "NEW":
                self._algo_status(algo, "CANCELED")

    def _algo_status(self, algo: AlgoOrder, status: str, reason: str = "") -> None:
        now = self.now_ms()
        algo.status = status
        algo.update_time = now
        algo.reject_reason = reason
        self.emit(algo_update(algo, now))

    def _expire_close_position(self, symbol: str, position_side: str) -> None:
        for algo in list(self.algo_orders.values()):
            if algo.symbol == symbol and algo.close_position and algo.status == "NEW" and \
                    algo.position_side == position_side:
                self._algo_status(algo, "EXPIRED")

    def _trigger(self, algo: AlgoOrder) -> None:
        algo.trigger_time = self.now_ms()
        self._algo_status(algo, "TRIGGERING")
        reducible = self.reducible(algo.symbol, algo.side, algo.position_side)
        if algo.close_position:
            if reducible == 0:
                self._algo_status(algo, "EXPIRED")
                return
            qty = reducible
        elif self.closes(algo.side, algo.position_side, algo.reduce_only):
            if reducible == 0:
                self._algo_status(algo, "REJECTED", "Reduce Only reject")
                return
            qty = min(algo.qty, reducible)
        else:
            qty = algo.qty
            last = self.tickers[algo.symbol].last
            if qty * last / self.settings[algo.symbol].leverage > self.available():
                self._algo_status(algo, "REJECTED", "Margin is insufficient")
                return
        client_id = algo.client_algo_id if self.child_client_id == "same" else f"algo{algo.algo_id}"
        child = self._new_order(algo.symbol, algo.side, "MARKET" if algo.is_market else "LIMIT",
                                algo.position_side, qty, algo.price, algo.tif,
                                algo.reduce_only or algo.close_position, client_id,
                                close_position=algo.close_position, orig_type=algo.order_type,
                                stop_price=algo.trigger_price, working_type=algo.working_type,
                                algo_id=algo.algo_id)
        algo.actual_order_id = child.order_id
        last = self.tickers[algo.symbol].last
        if algo.is_market or (algo.side == "BUY" and algo.price >= last) or \
                (algo.side == "SELL" and algo.price <= last):
            self._execute(child, last, maker=False)
        if child.is_open:
            self._algo_status(algo, "TRIGGERED")

    def _child_done(self, order: Order) -> None:
        if order.algo_id is None or order.is_open:
            return
        algo = self.algo_orders[order.algo_id]
        if algo.status in ("FINISHED", "CANCELED", "EXPIRED", "REJECTED"):
            return
        algo.actual_price = order.avg_price
        algo.executed = order.executed
        if algo.status == "TRIGGERING":
            self._algo_status(algo, "TRIGGERED")
        self._algo_status(algo, "FINISHED")
