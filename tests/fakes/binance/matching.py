"""The fake venue's matching engine: orders, conditional (algo) orders, positions, fees, PnL.

Everything here is synchronous and HTTP-free. ``Exchange`` keeps the state, validates orders
the way Binance USDⓈ-M does (raising ``BinanceError``), fills MARKET orders at the last price,
rests LIMIT orders until ``set_price`` crosses them (or a test fills part of one: ``fill_resting``), and fires algo orders (the ``AlgoBook``
half, in algo.py) into child orders. Each change is published to the listeners as a
user-data-stream event.

Semantics worth knowing:
- one-way mode by default (positionSide BOTH); hedge mode via ``set_dual``;
- reduce-only orders never flip a position: the quantity is clamped to the position, and a
  market order whose rest could not execute ends EXPIRED with ``executedQty`` < ``origQty``;
- closePosition stops close the whole position when fired; while untriggered they expire when
  the position goes flat (Binance's GTE_GTC behaviour); a reduce-only algo order firing with no
  position to reduce ends REJECTED ("Reduce Only reject");
- margin is one pool: available = wallet + unrealized PnL - position margin - open-order margin.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from . import errors, rules
from .algo import AlgoBook
from .events import account_update, order_update
from .markets import SymbolSpec
from .state import ZERO, AlgoOrder, Income, Order, Position, SymbolSettings, Ticker, Trade

EIGHT = Decimal("0.00000001")


class Exchange(AlgoBook):
    def __init__(self, specs: list[SymbolSpec], now_ms: Callable[[], int], balance: Decimal,
                 taker_fee: Decimal = Decimal("0.0004"), maker_fee: Decimal = Decimal("0.0002"),
                 child_client_id: str = "generated"):
        self.specs = {spec.symbol: spec for spec in specs}
        self.now_ms = now_ms
        self.taker_fee = taker_fee
        self.maker_fee = maker_fee
        self.child_client_id = child_client_id
        self.tickers = {sp.symbol: Ticker(sp.price, sp.price, sp.price, sp.price, sp.price) for sp in specs}
        self.settings = {spec.symbol: SymbolSettings() for spec in specs}
        self.hedge = False
        self.wallet = balance
        self.balance_time = now_ms()
        self.orders: dict[int, Order] = {}
        self.algo_orders: dict[int, AlgoOrder] = {}
        self.positions: dict[tuple[str, str], Position] = {}
        self.trades: list[Trade] = []
        self.incomes: list[Income] = []
        self.listeners: list[Callable[[dict], None]] = []
        self._next_order = 4000000001
        self._next_algo = 1000000001
        self._next_trade = 500000001
        self._next_income = 900000001

    # ----------------------------------------------------------------- lookups and numbers
    def spec(self, symbol: str | None) -> SymbolSpec:
        if not symbol:
            raise errors.mandatory("symbol")
        if symbol not in self.specs:
            raise errors.bad_symbol()
        return self.specs[symbol]

    def position(self, symbol: str, side: str) -> Position:
        key = (symbol, side)
        if key not in self.positions:
            self.positions[key] = Position(symbol, side)
        return self.positions[key]

    def working_price(self, symbol: str, working_type: str) -> Decimal:
        ticker = self.tickers[symbol]
        return ticker.mark if working_type == "MARK_PRICE" else ticker.last

    def unrealized(self) -> Decimal:
        return sum((p.unrealized(self.tickers[p.symbol].mark) for p in self.positions.values()), ZERO)

    def position_margin(self, p: Position) -> Decimal:
        return abs(p.amt) * self.tickers[p.symbol].mark / self.settings[p.symbol].leverage

    def order_margin(self, o: Order) -> Decimal:
        return o.remaining * o.price / self.settings[o.symbol].leverage

    def open_order_margin(self) -> Decimal:
        return sum((self.order_margin(o) for o in self.orders.values()
                    if o.is_open and o.type == "LIMIT" and not o.reduce_only), ZERO)

    def available(self) -> Decimal:
        used = sum((self.position_margin(p) for p in self.positions.values()), ZERO)
        return self.wallet + self.unrealized() - used - self.open_order_margin()

    def reducible(self, symbol: str, side: str, position_side: str) -> Decimal:
        """How much an order on ``side`` can close of the position it would act on."""
        amt = self.position(symbol, position_side).amt
        if position_side == "BOTH":
            if (amt > 0 and side == "SELL") or (amt < 0 and side == "BUY"):
                return abs(amt)
            return ZERO
        closing = (position_side == "LONG") == (side == "SELL")
        return abs(amt) if closing else ZERO

    def closes(self, side: str, position_side: str, reduce_only: bool) -> bool:
        if position_side == "BOTH":
            return reduce_only
        return (position_side == "LONG") == (side == "SELL")

    def emit(self, event: dict) -> None:
        for listener in list(self.listeners):
            listener(event)

    # ----------------------------------------------------------------- regular orders
    def place_order(self, *, symbol: str, side: str, type: str, qty: Decimal, price: Decimal | None,
                    tif: str, position_side: str, reduce_only: bool, client_id: str | None) -> Order:
        spec = self.spec(symbol)
        rules.check_side(side)
        rules.check_position_side(self.hedge, position_side)
        if self.hedge and reduce_only:
            raise errors.not_required("reduceonly")
        rules.check_client_id(client_id)
        if client_id and any(o.is_open and o.client_id == client_id for o in self.orders.values()):
            raise errors.duplicate_client_id()
        last = self.tickers[symbol].last
        if type == "MARKET":
            rules.check_quantity(spec, qty, market=True)
            exec_price = last
        elif type == "LIMIT":
            rules.check_quantity(spec, qty, market=False)
            if price is None:
                raise errors.mandatory("price")
            rules.check_price(spec, price)
            exec_price = price
        else:
            raise errors.BinanceError(-1116, "Invalid orderType.")
        closing = self.closes(side, position_side, reduce_only)
        reducible = self.reducible(symbol, side, position_side)
        if closing and (reducible == 0 or (self.hedge and qty > reducible)):
            raise errors.reduce_only_rejected()
        rules.check_notional(spec, qty, exec_price, closing)
        if not closing:
            increase = qty - reducible if reducible < qty else ZERO
            if increase * exec_price / self.settings[symbol].leverage > self.available():
                raise errors.margin_insufficient()
        crossing = type == "LIMIT" and ((side == "BUY" and price >= last) or (side == "SELL" and price <= last))
        if crossing and tif == "GTX":
            raise errors.post_only_rejected()
        order = self._new_order(symbol, side, type, position_side, qty, price or ZERO, tif, reduce_only,
                                client_id or f"fake{self._next_order}")
        if type == "MARKET" or crossing:
            self._execute(order, last, maker=False)
        elif tif in ("IOC", "FOK"):
            self._close(order, "EXPIRED")
        return order

    def _new_order(self, symbol: str, side: str, type: str, position_side: str, qty: Decimal,
                   price: Decimal, tif: str, reduce_only: bool, client_id: str, **extra) -> Order:
        now = self.now_ms()
        order = Order(self._next_order, client_id, symbol, side, type, position_side, qty, price, now,
                      tif=tif, reduce_only=reduce_only, update_time=now, **extra)
        self._next_order += 1
        self.orders[order.order_id] = order
        self.emit(order_update(order, "NEW", now))
        return order

    def _execute(self, order: Order, price: Decimal, maker: bool) -> None:
        """Fill what can be filled now; a reduce-only remainder that cannot execute expires."""
        qty = order.remaining
        if self.closes(order.side, order.position_side, order.reduce_only):
            qty = min(qty, self.reducible(order.symbol, order.side, order.position_side))
        if qty > 0:
            self._fill(order, qty, price, maker)
        if order.is_open and (order.type == "MARKET" or order.reduce_only or order.tif in ("IOC", "FOK")):
            self._close(order, "EXPIRED")

    def _close(self, order: Order, status: str) -> None:
        now = self.now_ms()
        order.status = status
        order.update_time = now
        self.emit(order_update(order, status, now))
        self._child_done(order)

    def _fill(self, order: Order, qty: Decimal, price: Decimal, maker: bool) -> None:
        now = self.now_ms()
        position = self.position(order.symbol, order.position_side)
        realized = self._apply(position, order.side, qty, price)
        position.update_time = now
        commission = (qty * price * (self.maker_fee if maker else self.taker_fee)).quantize(EIGHT)
        self.wallet += realized - commission
        self.balance_time = now
        order.executed += qty
        order.cum_quote += qty * price
        order.status = "FILLED" if order.remaining == 0 else "PARTIALLY_FILLED"
        order.update_time = now
        trade = Trade(self._next_trade, order.order_id, order.symbol, order.side, order.position_side,
                      price, qty, realized, commission, maker, now)
        self._next_trade += 1
        self.trades.append(trade)
        if realized:
            self._income(order.symbol, "REALIZED_PNL", realized, now, trade.trade_id)
        self._income(order.symbol, "COMMISSION", -commission, now, trade.trade_id)
        ticker = self.tickers[order.symbol]
        ticker.volume += qty
        ticker.quote_volume += qty * price
        ticker.count += 1
        self.emit(order_update(order, "TRADE", now, last_qty=qty, last_price=price, commission=commission,
                               realized=realized, maker=maker, trade_id=trade.trade_id))
        self.emit(self.account_event("ORDER", [position]))
        if position.amt == 0:
            self._expire_close_position(order.symbol, order.position_side)
        if not order.is_open:
            self._child_done(order)

    @staticmethod
    def _apply(p: Position, side: str, qty: Decimal, price: Decimal) -> Decimal:
        """Move a position by a fill; return the realized PnL."""
        delta = qty if side == "BUY" else -qty
        if p.amt == 0 or (p.amt > 0) == (delta > 0):
            size = abs(p.amt) + qty
            p.entry_price = ((abs(p.amt) * p.entry_price + qty * price) / size).quantize(EIGHT)
            p.amt += delta
            return ZERO
        sign = 1 if p.amt > 0 else -1
        closed = min(qty, abs(p.amt))
        realized = closed * (price - p.entry_price) * sign
        p.amt -= sign * closed
        rest = qty - closed
        if p.amt == 0:
            p.entry_price = ZERO
        if rest > 0:
            p.amt = rest if delta > 0 else -rest
            p.entry_price = price
        return realized

    def _income(self, symbol: str, kind: str, amount: Decimal, now: int, trade_id: int) -> None:
        self.incomes.append(Income(self._next_income, symbol, kind, amount, now, str(trade_id)))
        self._next_income += 1

    def find_order(self, symbol: str, order_id: str | None, client_id: str | None) -> Order:
        self.spec(symbol)
        if order_id is None and client_id is None:
            raise errors.mandatory("orderId")
        for order in sorted(self.orders.values(), key=lambda o: -o.order_id):
            if order.symbol != symbol:
                continue
            if (order_id is not None and str(order.order_id) == str(order_id)) or \
                    (order_id is None and order.client_id == client_id):
                return order
        raise errors.no_such_order()

    def cancel_order(self, symbol: str, order_id: str | None, client_id: str | None) -> Order:
        try:
            order = self.find_order(symbol, order_id, client_id)
        except errors.BinanceError as exc:
            if exc.code == -2013:
                raise errors.unknown_order() from exc
            raise
        if not order.is_open:
            raise errors.unknown_order()
        self._close(order, "CANCELED")
        return order

    def cancel_all(self, symbol: str) -> None:
        self.spec(symbol)
        for order in list(self.orders.values()):
            if order.symbol == symbol and order.is_open:
                self._close(order, "CANCELED")

    def fill_resting(self, order: Order, qty: Decimal) -> None:
        """A counterparty takes ``qty`` of a resting LIMIT order at its price (a maker fill): part of
        it stays open (PARTIALLY_FILLED), or all of it fills."""
        if not order.is_open or order.type != "LIMIT":
            raise ValueError(f"order {order.client_id} is not a resting limit order")
        if qty <= 0 or qty > order.remaining:
            raise ValueError(f"cannot fill {qty} of {order.remaining} left")
        self._fill(order, qty, order.price, maker=True)

    # ----------------------------------------------------------------- prices
    def set_price(self, symbol: str, last: Decimal, mark: Decimal | None = None) -> None:
        self.spec(symbol)
        ticker = self.tickers[symbol]
        ticker.last = last
        ticker.mark = last if mark is None else mark
        ticker.high = max(ticker.high, last)
        ticker.low = min(ticker.low, last)
        ticker.history.append((self.now_ms(), last))
        for order in sorted(self.orders.values(), key=lambda o: o.order_id):
            if order.symbol == symbol and order.is_open and order.type == "LIMIT":
                if (order.side == "BUY" and last <= order.price) or (order.side == "SELL" and last >= order.price):
                    self._execute(order, order.price, maker=True)
        for algo in sorted(self.algo_orders.values(), key=lambda a: a.algo_id):
            if algo.symbol == symbol and algo.status == "NEW" and \
                    algo.triggered_by(self.working_price(symbol, algo.working_type)):
                self._trigger(algo)

    # ----------------------------------------------------------------- account settings
    def set_leverage(self, symbol: str, leverage: int) -> dict:
        spec = self.spec(symbol)
        brackets = spec.leverage_brackets()
        if leverage < 1 or leverage > brackets[0].initial_leverage:
            raise errors.bad_leverage(str(leverage))
        self.settings[symbol].leverage = leverage
        cap = max(b.notional_cap for b in brackets if b.initial_leverage >= leverage)
        return {"leverage": leverage, "maxNotionalValue": format(cap, "f"), "symbol": symbol}

    def set_margin_type(self, symbol: str, margin_type: str | None) -> None:
        self.spec(symbol)
        if margin_type not in ("ISOLATED", "CROSSED"):
            raise errors.bad_param("marginType")
        if self.settings[symbol].margin_type == margin_type:
            raise errors.margin_type_unchanged()
        busy = any(p.symbol == symbol and p.amt for p in self.positions.values()) or \
            any(o.symbol == symbol and o.is_open for o in self.orders.values())
        if busy:
            raise errors.margin_type_locked()
        self.settings[symbol].margin_type = margin_type

    def set_dual(self, dual: bool) -> None:
        if dual == self.hedge:
            raise errors.position_mode_unchanged()
        if any(o.is_open for o in self.orders.values()) or any(a.is_open for a in self.algo_orders.values()):
            raise errors.position_mode_open_orders()
        if any(p.amt for p in self.positions.values()):
            raise errors.position_mode_positions()
        self.hedge = dual

    def account_event(self, reason: str, positions: list[Position]) -> dict:
        rows = [(p, p.unrealized(self.tickers[p.symbol].mark),
                 "isolated" if self.settings[p.symbol].margin_type == "ISOLATED" else "cross")
                for p in positions]
        return account_update(reason, self.now_ms(), self.wallet, self.wallet, rows)
