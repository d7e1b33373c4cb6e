"""The paper venue's account as one JSON text in a ``StateStore`` (a named venue of the cross-venue
hedge keeps its own account under its own key, where the main paper venue has the ``paper_*``
tables: engine/storage/paper_rows.py). Each save applies the rows that changed to the last text
and writes it whole; Decimals as strings, datetimes ISO 8601, enums by value."""

from __future__ import annotations

import enum
import json
from dataclasses import fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from engine.brokers.base import StateStore
from engine.brokers.paper_state import PaperChanges, PaperOrder, PaperPosition, PaperState
from engine.domain.models import Fill, OrderStatus, OrderType
from engine.domain.values import OrderAction, Side

KEY = "paper"
_DECIMALS = {"qty", "entry", "margin", "price", "trigger_price", "reserved", "filled_qty", "avg_price", "fee"}
_TIMES = {"created_at", "updated_at", "ts"}


def _out(record: object) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(record):  # type: ignore[arg-type]
        name, value = f.name, getattr(record, f.name)
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, enum.Enum):
            value = value.value
        out[name] = value
    return out


def _in(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    for name, value in data.items():
        if value is None:
            continue
        if name in _DECIMALS:
            out[name] = Decimal(value)
        elif name in _TIMES:
            out[name] = datetime.fromisoformat(value)
    return out


def _position(d: dict[str, Any]) -> PaperPosition:
    p = _in(d)
    return PaperPosition(**{**p, "side": Side(p["side"])})


def _order(d: dict[str, Any]) -> PaperOrder:
    o = _in(d)
    return PaperOrder(**{**o, "action": OrderAction(o["action"]), "type": OrderType(o["type"]),
                         "status": OrderStatus(o["status"])})


def _fill(d: dict[str, Any]) -> Fill:
    f = _in(d)
    return Fill(**{**f, "action": OrderAction(f["action"])})


class TextPaperStore:
    """The ``PaperStore`` of a paper venue over a ``StateStore`` key."""

    def __init__(self, store: StateStore, key: str = KEY) -> None:
        self._store, self._key = store, key
        self._data: dict[str, Any] | None = None

    async def _current(self) -> dict[str, Any]:
        if self._data is None:
            text = await self._store.load(self._key)
            self._data = json.loads(text) if text else {"account": None, "leverage": {}, "positions": {},
                                                         "orders": {}, "fills": {}}
        return self._data

    async def load(self) -> PaperState | None:
        data = await self._current()
        if data["account"] is None:
            return None
        wallet, order_seq, trade_seq, liq_seq = data["account"]
        orders = sorted((_order(o) for o in data["orders"].values()), key=lambda o: o.seq)
        fills = {cid: sorted((_fill(f) for f in items), key=lambda f: (f.ts, int(f.trade_id.lstrip("p") or 0)))
                 for cid, items in data["fills"].items()}
        return PaperState(wallet=Decimal(wallet), leverage={k: int(v) for k, v in data["leverage"].items()},
                          positions={s: _position(p) for s, p in data["positions"].items()},
                          orders={o.client_id: o for o in orders}, fills=fills, order_seq=int(order_seq),
                          trade_seq=int(trade_seq), liq_seq=int(liq_seq))

    async def save(self, changes: PaperChanges) -> None:
        data = await self._current()
        if changes.account is not None:
            wallet, *seqs = changes.account
            data["account"] = [str(wallet), *seqs]
        data["leverage"].update(changes.leverage)
        for symbol, pos in changes.positions.items():
            if pos is None:
                data["positions"].pop(symbol, None)
            else:
                data["positions"][symbol] = _out(pos)
        for order in changes.orders:
            data["orders"][order.client_id] = _out(order)
        for fill in changes.fills:
            items = data["fills"].setdefault(fill.client_id, [])
            if all(f["trade_id"] != fill.trade_id for f in items):
                items.append(_out(fill))
        for cid in changes.forgotten:
            data["orders"].pop(cid, None)
            data["fills"].pop(cid, None)
        await self._store.save(self._key, json.dumps(data, separators=(",", ":")))
