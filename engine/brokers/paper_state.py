"""The paper venue's state: wallet, positions, orders and fills as mutable records, with a JSON round trip.

Everything a restart must keep lives in ``PaperState``; ``to_json``/``from_json`` write it as text
(Decimals as strings, datetimes ISO 8601, enums by value) for a ``StateStore``. Mark prices are
not part of it: they are market data, and a stale mark must never price an order after a restart.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from engine.domain.models import Fill, OrderStatus, OrderType, VenueOrder
from engine.domain.values import ZERO, OrderAction, Side

FORMAT_VERSION = 1


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


@dataclass(slots=True)
class PaperState:
    """The account. Resting orders are indexed apart, and a final order's JSON is encoded only once,
    so a tick and a save cost little however long the order history is."""

    wallet: Decimal
    leverage: dict[str, int] = field(default_factory=dict)
    positions: dict[str, PaperPosition] = field(default_factory=dict)
    orders: dict[str, PaperOrder] = field(default_factory=dict)  # every known order by client id, oldest first
    fills: dict[str, list[Fill]] = field(default_factory=dict)  # by client id
    order_seq: int = 0
    trade_seq: int = 0
    liq_seq: int = 0
    _open: dict[str, PaperOrder] = field(default_factory=dict, init=False, repr=False)
    _encoded: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._open = {cid: o for cid, o in self.orders.items() if o.status is OrderStatus.OPEN}

    def open_orders(self, symbol: str | None = None) -> list[PaperOrder]:
        """Resting orders in placement order."""
        return [o for o in self._open.values() if symbol is None or o.symbol == symbol]

    def rest(self, order: PaperOrder) -> None:
        order.status = OrderStatus.OPEN
        self.orders[order.client_id] = order
        self._open[order.client_id] = order

    def finish(self, order: PaperOrder, fill: Fill | None = None) -> None:
        """Record an order that just became final (filled, with its fill, or cancelled)."""
        assert order.status.is_final
        self.orders[order.client_id] = order
        self._open.pop(order.client_id, None)
        if fill is not None:
            self.fills.setdefault(order.client_id, []).append(fill)

    def prune(self, keep_final: int) -> int:
        """Forget the oldest final orders (and their fills) beyond ``keep_final``; returns how many.

        Filled orders of a symbol that still has a position are kept: recovery may need their fills.
        """
        excess = len(self.orders) - len(self._open) - keep_final
        if excess <= 0:
            return 0
        drop: list[str] = []
        for order in self.orders.values():
            if len(drop) == excess:
                break
            if order.status is OrderStatus.CANCELLED or (order.status.is_final and order.symbol not in self.positions):
                drop.append(order.client_id)
        for cid in drop:
            del self.orders[cid]
            self.fills.pop(cid, None)
            self._encoded.pop(cid, None)
        return len(drop)

    # --- JSON ----------------------------------------------------------------------------------
    def to_json(self) -> str:
        head = json.dumps({
            "version": FORMAT_VERSION,
            "wallet": str(self.wallet),
            "leverage": dict(self.leverage),
            "positions": [_position_out(p) for p in self.positions.values()],
            "order_seq": self.order_seq,
            "trade_seq": self.trade_seq,
            "liq_seq": self.liq_seq,
        }, separators=(",", ":"))
        return head[:-1] + ',"orders":[' + ",".join(map(self._encode, self.orders.values())) + "]}"

    def _encode(self, order: PaperOrder) -> str:
        text = self._encoded.get(order.client_id)
        if text is None:
            text = json.dumps(_order_out(order, self.fills.get(order.client_id, ())), separators=(",", ":"))
            if order.status.is_final:  # a final order never changes again
                self._encoded[order.client_id] = text
        return text

    @classmethod
    def from_json(cls, text: str) -> PaperState:
        data = json.loads(text)
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"unsupported paper state version {data.get('version')!r}")
        orders = sorted(data["orders"], key=lambda d: int(d["seq"]))
        return cls(
            wallet=Decimal(data["wallet"]),
            leverage={k: int(v) for k, v in data["leverage"].items()},
            positions={p.symbol: p for p in map(_position_in, data["positions"])},
            orders={d["client_id"]: _order_in(d) for d in orders},
            fills={d["client_id"]: [_fill_in(f) for f in d["fills"]] for d in orders if d["fills"]},
            order_seq=int(data["order_seq"]),
            trade_seq=int(data["trade_seq"]),
            liq_seq=int(data["liq_seq"]),
        )


def _opt_dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _opt_str(value: object | None) -> str | None:
    return None if value is None else str(value)


def _opt_time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _position_out(p: PaperPosition) -> dict[str, Any]:
    return {"symbol": p.symbol, "side": p.side.value, "qty": str(p.qty), "entry": str(p.entry),
            "margin": str(p.margin), "leverage": p.leverage}


def _position_in(d: dict[str, Any]) -> PaperPosition:
    return PaperPosition(symbol=d["symbol"], side=Side(d["side"]), qty=Decimal(d["qty"]),
                         entry=Decimal(d["entry"]), margin=Decimal(d["margin"]), leverage=int(d["leverage"]))


def _order_out(o: PaperOrder, fills: Iterable[Fill]) -> dict[str, Any]:
    return {"seq": o.seq, "client_id": o.client_id, "symbol": o.symbol, "action": o.action.value,
            "type": o.type.value, "qty": str(o.qty), "created_at": o.created_at.isoformat(),
            "price": _opt_str(o.price), "trigger_price": _opt_str(o.trigger_price),
            "reduce_only": o.reduce_only, "leverage": o.leverage, "reserved": str(o.reserved),
            "status": o.status.value, "filled_qty": str(o.filled_qty), "avg_price": _opt_str(o.avg_price),
            "fee": str(o.fee), "updated_at": _opt_time(o.updated_at), "fills": [_fill_out(f) for f in fills]}


def _order_in(d: dict[str, Any]) -> PaperOrder:
    return PaperOrder(seq=int(d["seq"]), client_id=d["client_id"], symbol=d["symbol"],
                      action=OrderAction(d["action"]), type=OrderType(d["type"]), qty=Decimal(d["qty"]),
                      created_at=datetime.fromisoformat(d["created_at"]), price=_opt_dec(d["price"]),
                      trigger_price=_opt_dec(d["trigger_price"]), reduce_only=bool(d["reduce_only"]),
                      leverage=int(d["leverage"]), reserved=Decimal(d["reserved"]),
                      status=OrderStatus(d["status"]), filled_qty=Decimal(d["filled_qty"]),
                      avg_price=_opt_dec(d["avg_price"]), fee=Decimal(d["fee"]),
                      updated_at=None if d["updated_at"] is None else datetime.fromisoformat(d["updated_at"]))


def _fill_out(f: Fill) -> dict[str, Any]:
    return {"trade_id": f.trade_id, "client_id": f.client_id, "symbol": f.symbol, "action": f.action.value,
            "qty": str(f.qty), "price": str(f.price), "fee": str(f.fee), "ts": f.ts.isoformat(),
            "is_maker": f.is_maker}


def _fill_in(d: dict[str, Any]) -> Fill:
    return Fill(trade_id=d["trade_id"], client_id=d["client_id"], symbol=d["symbol"],
                action=OrderAction(d["action"]), qty=Decimal(d["qty"]), price=Decimal(d["price"]),
                fee=Decimal(d["fee"]), ts=datetime.fromisoformat(d["ts"]), is_maker=bool(d["is_maker"]))
