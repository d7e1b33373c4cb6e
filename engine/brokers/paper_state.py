"""The paper venue's state: wallet, positions, orders and fills as mutable records, with a JSON round trip.

Everything a restart must keep lives in ``PaperState``; ``to_json``/``from_json`` write it as text
(Decimals as strings, datetimes ISO 8601, enums by value) for a ``StateStore``. Mark prices are
not part of it: they are market data, and a stale mark must never price an order after a restart.
"""

from __future__ import annotations

import json
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
    wallet: Decimal
    leverage: dict[str, int] = field(default_factory=dict)
    positions: dict[str, PaperPosition] = field(default_factory=dict)
    orders: dict[str, PaperOrder] = field(default_factory=dict)  # by client id, in placement order
    fills: dict[str, list[Fill]] = field(default_factory=dict)  # by client id
    order_seq: int = 0
    trade_seq: int = 0
    liq_seq: int = 0

    def open_orders(self, symbol: str | None = None) -> list[PaperOrder]:
        return [o for o in self.orders.values()
                if o.status is OrderStatus.OPEN and (symbol is None or o.symbol == symbol)]

    def prune(self, keep_final: int) -> int:
        """Forget the oldest final orders (and their fills) beyond ``keep_final``; returns how many."""
        final = [o for o in self.orders.values() if o.status.is_final]
        excess = len(final) - keep_final
        if excess <= 0:
            return 0
        for order in sorted(final, key=lambda o: o.seq)[:excess]:
            del self.orders[order.client_id]
            self.fills.pop(order.client_id, None)
        return excess

    # --- JSON ----------------------------------------------------------------------------------
    def to_json(self) -> str:
        return json.dumps({
            "version": FORMAT_VERSION,
            "wallet": str(self.wallet),
            "leverage": dict(self.leverage),
            "positions": [_position_out(p) for p in self.positions.values()],
            "orders": [_order_out(o) for o in self.orders.values()],
            "fills": {cid: [_fill_out(f) for f in fills] for cid, fills in self.fills.items()},
            "order_seq": self.order_seq,
            "trade_seq": self.trade_seq,
            "liq_seq": self.liq_seq,
        }, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> PaperState:
        data = json.loads(text)
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"unsupported paper state version {data.get('version')!r}")
        orders = sorted((_order_in(o) for o in data["orders"]), key=lambda o: o.seq)
        return cls(
            wallet=Decimal(data["wallet"]),
            leverage={k: int(v) for k, v in data["leverage"].items()},
            positions={p.symbol: p for p in map(_position_in, data["positions"])},
            orders={o.client_id: o for o in orders},
            fills={cid: [_fill_in(f) for f in fills] for cid, fills in data["fills"].items()},
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


def _order_out(o: PaperOrder) -> dict[str, Any]:
    return {"seq": o.seq, "client_id": o.client_id, "symbol": o.symbol, "action": o.action.value,
            "type": o.type.value, "qty": str(o.qty), "created_at": o.created_at.isoformat(),
            "price": _opt_str(o.price), "trigger_price": _opt_str(o.trigger_price),
            "reduce_only": o.reduce_only, "leverage": o.leverage, "reserved": str(o.reserved),
            "status": o.status.value, "filled_qty": str(o.filled_qty), "avg_price": _opt_str(o.avg_price),
            "fee": str(o.fee), "updated_at": _opt_time(o.updated_at)}


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
