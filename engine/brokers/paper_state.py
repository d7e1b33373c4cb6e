"""The paper venue's state: wallet, positions, orders and fills as mutable records, and what changed.

Everything a restart must keep lives in ``PaperState``. Every change marks what it touched (an
order, a position, the account, a symbol's leverage, a new fill); ``take_changes`` hands those
records over as a ``PaperChanges`` (copies), so a save writes the rows that changed — never the whole
account. Mark prices are not part of it: they are market data, and a stale mark must never price
an order after a restart.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from engine.domain.models import Fill, OrderStatus, OrderType, VenueOrder
from engine.domain.values import ZERO, OrderAction, Side


@dataclass(slots=True)
class PaperPosition:
    """One net position per symbol (one-way mode) with its isolated margin."""

    symbol: str
    side: Side
    qty: Decimal
    entry: Decimal  # average entry price (exact, not rounded to the tick)
    margin: Decimal  # isolated margin posted for it (8 dp)
    leverage: int


@dataclass(slots=True)
class PaperOrder:
    """An order the paper venue accepted (resting or final)."""

    seq: int  # placement order; also the venue order id
    client_id: str
    symbol: str
    action: OrderAction
    type: OrderType
    qty: Decimal
    created_at: datetime
    price: Decimal | None = None
    trigger_price: Decimal | None = None
    reduce_only: bool = False
    leverage: int = 1
    reserved: Decimal = ZERO  # margin held while an opening limit order rests
    status: OrderStatus = OrderStatus.OPEN
    filled_qty: Decimal = ZERO
    avg_price: Decimal | None = None
    fee: Decimal = ZERO
    updated_at: datetime | None = None

    @property
    def exchange_id(self) -> str:
        return f"paper-{self.seq}"

    @property
    def level(self) -> Decimal | None:
        """The price a limit or take-profit waits for (a take-profit may carry it as its trigger)."""
        return self.price if self.price is not None else self.trigger_price

    def view(self) -> VenueOrder:
        return VenueOrder(client_id=self.client_id, symbol=self.symbol, status=self.status,
                          exchange_id=self.exchange_id, action=self.action, type=self.type, qty=self.qty,
                          price=self.price, trigger_price=self.trigger_price, reduce_only=self.reduce_only,
                          filled_qty=self.filled_qty, avg_price=self.avg_price)


@dataclass(frozen=True, slots=True)
class PaperChanges:
    """What changed since the last save (copies): the rows to write, and the orders forgotten."""

    account: tuple[Decimal, int, int, int] | None = None  # wallet, order_seq, trade_seq, liq_seq
    leverage: dict[str, int] = field(default_factory=dict)
    positions: dict[str, PaperPosition | None] = field(default_factory=dict)  # None: the position is gone
    orders: tuple[PaperOrder, ...] = ()
    fills: tuple[Fill, ...] = ()
    forgotten: tuple[str, ...] = ()  # client ids dropped from the history (their fills with them)

    def __bool__(self) -> bool:
        return bool(self.account or self.leverage or self.positions or self.orders or self.fills or self.forgotten)


@dataclass(slots=True)
class PaperState:
    """The account. Resting orders are indexed apart (and by symbol), so a tick and a save cost
    little however long the order history is and however many symbols rest orders."""

    wallet: Decimal
    leverage: dict[str, int] = field(default_factory=dict)
    positions: dict[str, PaperPosition] = field(default_factory=dict)
    orders: dict[str, PaperOrder] = field(default_factory=dict)  # every known order by client id, oldest first
    fills: dict[str, list[Fill]] = field(default_factory=dict)  # by client id
    order_seq: int = 0
    trade_seq: int = 0
    liq_seq: int = 0
    _open: dict[str, PaperOrder] = field(default_factory=dict, init=False, repr=False)
    _by_symbol: dict[str, dict[str, PaperOrder]] = field(default_factory=dict, init=False, repr=False)
    _reserved: Decimal = field(default=ZERO, init=False, repr=False)  # Σ margin held by resting orders
    # Σ over positions, kept up to date per symbol (set_exposure): the account's figures in O(1)
    margin_total: Decimal = field(default=ZERO, init=False, repr=False)
    upnl_total: Decimal = field(default=ZERO, init=False, repr=False)
    loss_total: Decimal = field(default=ZERO, init=False, repr=False)  # Σ min(0, unrealized)
    _exposure: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict, init=False, repr=False)
    _held: dict[str, Decimal] = field(default_factory=dict, init=False, repr=False)  # … each, as it rested
    _final: list[tuple[int, str]] = field(default_factory=list, init=False, repr=False)  # heap: oldest first
    _parked: dict[str, list[tuple[int, str]]] = field(default_factory=dict, init=False, repr=False)
    # changed since the last take_changes()
    _account: bool = field(default=False, init=False, repr=False)
    _leverage: set[str] = field(default_factory=set, init=False, repr=False)
    _positions: set[str] = field(default_factory=set, init=False, repr=False)
    _orders: dict[str, PaperOrder] = field(default_factory=dict, init=False, repr=False)
    _fills: list[Fill] = field(default_factory=list, init=False, repr=False)
    _forgotten: list[str] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        for order in self.orders.values():
            if order.status is OrderStatus.OPEN:
                self._index(order)
            else:
                self._final.append((order.seq, order.client_id))
        heapq.heapify(self._final)

    def _index(self, order: PaperOrder) -> None:
        self._open[order.client_id] = order
        self._by_symbol.setdefault(order.symbol, {})[order.client_id] = order
        self._held[order.client_id] = order.reserved
        self._reserved += order.reserved

    def _unindex(self, order: PaperOrder) -> None:
        if self._open.pop(order.client_id, None) is not None:
            self._reserved -= self._held.pop(order.client_id, ZERO)
            mine = self._by_symbol.get(order.symbol)
            if mine is not None:
                mine.pop(order.client_id, None)
                if not mine:
                    del self._by_symbol[order.symbol]

    def set_exposure(self, symbol: str, margin: Decimal, upnl: Decimal) -> None:
        """The symbol's position margin and unrealized PnL now (after its position or its mark changed)."""
        old_margin, old_upnl = self._exposure.pop(symbol, (ZERO, ZERO))
        self.margin_total += margin - old_margin
        self.upnl_total += upnl - old_upnl
        self.loss_total += min(ZERO, upnl) - min(ZERO, old_upnl)
        if margin or upnl:
            self._exposure[symbol] = (margin, upnl)

    def idle(self, symbol: str) -> bool:
        """No position and no resting order on ``symbol`` (a price there changes nothing but the mark)."""
        return symbol not in self.positions and symbol not in self._by_symbol and symbol not in self._exposure

    def open_orders(self, symbol: str | None = None) -> list[PaperOrder]:
        """Resting orders in placement order (of one symbol: without looking at the others)."""
        if symbol is None:
            return list(self._open.values())
        return list(self._by_symbol.get(symbol, {}).values())

    def reserved(self, skip_order: str | None = None) -> Decimal:
        """Margin held by resting orders (less the one of ``skip_order``)."""
        return self._reserved - (self._held.get(skip_order, ZERO) if skip_order else ZERO)

    def rest(self, order: PaperOrder) -> None:
        order.status = OrderStatus.OPEN
        self.orders[order.client_id] = order
        self._index(order)
        self.changed_order(order)

    def finish(self, order: PaperOrder, fill: Fill | None = None) -> None:
        """Record an order that just became final (filled, with its fill, or cancelled)."""
        assert order.status.is_final
        self.orders[order.client_id] = order
        self._unindex(order)
        heapq.heappush(self._final, (order.seq, order.client_id))
        self.changed_order(order)
        if fill is not None:
            self.fills.setdefault(order.client_id, []).append(fill)
            self._fills.append(fill)

    # --- what changed ---------------------------------------------------------------------------------
    def changed_order(self, order: PaperOrder) -> None:
        self._orders[order.client_id] = order

    def changed_position(self, symbol: str) -> None:
        self._positions.add(symbol)
        if symbol not in self.positions:  # its final orders may be forgotten again
            for item in self._parked.pop(symbol, ()):
                heapq.heappush(self._final, item)
        self._account = True  # a position's change always moves the wallet (a fee at least)

    def changed_account(self) -> None:
        self._account = True

    def set_leverage(self, symbol: str, leverage: int) -> None:
        self.leverage[symbol] = leverage
        self._leverage.add(symbol)

    def take_changes(self) -> PaperChanges:
        """Everything changed since the last call, as copies; the marks are cleared."""
        changes = PaperChanges(
            account=(self.wallet, self.order_seq, self.trade_seq, self.liq_seq) if self._account else None,
            leverage={s: self.leverage[s] for s in self._leverage if s in self.leverage},
            positions={s: (replace(p) if (p := self.positions.get(s)) is not None else None) for s in self._positions},
            orders=tuple(replace(o) for o in self._orders.values()),
            fills=tuple(self._fills),
            forgotten=tuple(self._forgotten),
        )
        self._account = False
        self._leverage.clear()
        self._positions.clear()
        self._orders.clear()
        self._fills.clear()
        self._forgotten.clear()
        return changes

    def prune(self, keep_final: int) -> int:
        """Forget the oldest final orders (and their fills) beyond ``keep_final``; returns how many.

        Filled orders of a symbol that still has a position are kept (parked until it has none):
        recovery may need their fills. Each order is looked at a bounded number of times, so the
        cost does not grow with the history or the number of positions.
        """
        excess = len(self.orders) - len(self._open) - keep_final
        dropped = 0
        while excess > dropped and self._final:
            seq, cid = heapq.heappop(self._final)
            order = self.orders.get(cid)
            if order is None or order.seq != seq:
                continue
            if order.status is not OrderStatus.CANCELLED and order.symbol in self.positions:
                self._parked.setdefault(order.symbol, []).append((seq, cid))
                continue
            del self.orders[cid]
            self.fills.pop(cid, None)
            self._orders.pop(cid, None)
            self._forgotten.append(cid)
            dropped += 1
        return dropped
