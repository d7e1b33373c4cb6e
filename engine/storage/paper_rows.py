"""The paper venue's account in its own tables: one row per order, position, fill and symbol
leverage, and one for the wallet. ``statements`` turns a ``PaperChanges`` into the statements of a
transaction (the position manager's unit of work); ``PaperRows`` is the venue's ``PaperStore`` (load at start, and
saves of its own when no manager drives it). Every row carries its venue's name (``default``: the
engine's own paper venue; the hedge's paper venues by their names), so two paper venues never share rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete
from sqlmodel import col, select

from engine.brokers.paper_state import PaperChanges, PaperOrder, PaperPosition, PaperState
from engine.domain.models import Fill, OrderStatus, OrderType
from engine.domain.values import OrderAction, Side
from engine.storage.db import Database
from engine.storage.tables import (
    PaperAccountRow,
    PaperFillRow,
    PaperLeverageRow,
    PaperOrderRow,
    PaperPositionRow,
)
from engine.storage.upsert import Statement, dialect_of, run, upsert, upsert_statement

_ORDERS = PaperOrderRow.__table__  # type: ignore[attr-defined]
_FILLS = PaperFillRow.__table__  # type: ignore[attr-defined]
_POSITIONS = PaperPositionRow.__table__  # type: ignore[attr-defined]
_LEVERAGE = PaperLeverageRow.__table__  # type: ignore[attr-defined]
_ACCOUNT = PaperAccountRow.__table__  # type: ignore[attr-defined]
# deletes take rows ({"v": venue, "k": key}), as every statement of a step does (executemany)
_DELETE_POSITION = delete(_POSITIONS).where(col(PaperPositionRow.venue) == bindparam("v"),
                                            col(PaperPositionRow.symbol) == bindparam("k"))
_DELETE_FILLS = delete(_FILLS).where(col(PaperFillRow.venue) == bindparam("v"), col(PaperFillRow.client_id) == bindparam("k"))
_DELETE_ORDER = delete(_ORDERS).where(col(PaperOrderRow.venue) == bindparam("v"),
                                      col(PaperOrderRow.client_id) == bindparam("k"))

DEFAULT = "default"


def _order(o: PaperOrder) -> dict[str, Any]:
    return {"client_id": o.client_id, "seq": o.seq, "symbol": o.symbol, "action": o.action.value,
            "type": o.type.value, "qty": o.qty, "created_at": o.created_at, "price": o.price,
            "trigger_price": o.trigger_price, "reduce_only": o.reduce_only, "leverage": o.leverage,
            "reserved": o.reserved, "status": o.status.value, "filled_qty": o.filled_qty,
            "avg_price": o.avg_price, "fee": o.fee, "updated_at": o.updated_at}


def _fill(f: Fill) -> dict[str, Any]:
    return {"trade_id": f.trade_id, "client_id": f.client_id, "symbol": f.symbol, "action": f.action.value,
            "qty": f.qty, "price": f.price, "fee": f.fee, "is_maker": f.is_maker, "ts": f.ts}


def _position(p: PaperPosition) -> dict[str, Any]:
    return {"symbol": p.symbol, "side": p.side.value, "qty": p.qty, "entry": p.entry, "margin": p.margin,
            "leverage": p.leverage}


def statements(dialect: str, changes: PaperChanges, venue: str = DEFAULT) -> list[Statement]:
    """The statements writing the rows of ``venue`` that changed (run in the caller's transaction)."""
    def rows(items: Any) -> list[dict[str, Any]]:
        return [{**item, "venue": venue} for item in items]

    out: list[Statement] = []
    if changes.account is not None:
        wallet, order_seq, trade_seq, liq_seq = changes.account
        out += upsert(dialect, _ACCOUNT, rows([{"id": 1, "wallet": wallet, "order_seq": order_seq,
                                                "trade_seq": trade_seq, "liq_seq": liq_seq}]))
    out += upsert(dialect, _LEVERAGE, rows({"symbol": s, "leverage": v} for s, v in changes.leverage.items()))
    gone = [{"v": venue, "k": s} for s, p in changes.positions.items() if p is None]
    if gone:
        out.append((_DELETE_POSITION, gone))
    out += upsert(dialect, _POSITIONS, rows(_position(p) for p in changes.positions.values() if p is not None))
    out += upsert(dialect, _ORDERS, rows(_order(o) for o in changes.orders))
    out += upsert(dialect, _FILLS, rows(_fill(f) for f in changes.fills))
    if changes.forgotten:
        forgotten = [{"v": venue, "k": c} for c in dict.fromkeys(changes.forgotten)]
        out.append((_DELETE_FILLS, forgotten))
        out.append((_DELETE_ORDER, forgotten))
    return out


def shapes() -> list[tuple[Any, tuple[str, ...]]]:
    """Every statement ``statements`` may return, with its rows' columns (compiled at start)."""
    out: list[tuple[Any, tuple[str, ...]]] = [(upsert_statement("sqlite", table), tuple(c.name for c in table.columns))
                                              for table in (_ACCOUNT, _LEVERAGE, _POSITIONS, _ORDERS, _FILLS)]
    return out + [(stmt, ("v", "k")) for stmt in (_DELETE_POSITION, _DELETE_FILLS, _DELETE_ORDER)]


class PaperRows:
    """The ``PaperStore`` of one paper venue (``venue``) over the ``paper_*`` tables."""

    def __init__(self, db: Database, venue: str = DEFAULT) -> None:
        self._db = db
        self.venue = venue

    async def load(self) -> PaperState | None:
        async with self._db.session() as s:
            account = await s.get(PaperAccountRow, self.venue)
            if account is None:
                return None
            mine = self.venue
            leverage = {r.symbol: r.leverage for r in (await s.exec(
                select(PaperLeverageRow).where(PaperLeverageRow.venue == mine))).all()}
            positions = {r.symbol: PaperPosition(symbol=r.symbol, side=Side(r.side), qty=r.qty, entry=r.entry,
                                                 margin=r.margin, leverage=r.leverage)
                         for r in (await s.exec(select(PaperPositionRow).where(PaperPositionRow.venue == mine))).all()}
            orders = {r.client_id: PaperOrder(
                seq=r.seq, client_id=r.client_id, symbol=r.symbol, action=OrderAction(r.action),
                type=OrderType(r.type), qty=r.qty, created_at=r.created_at, price=r.price,
                trigger_price=r.trigger_price, reduce_only=r.reduce_only, leverage=r.leverage,
                reserved=r.reserved, status=OrderStatus(r.status), filled_qty=r.filled_qty,
                avg_price=r.avg_price, fee=r.fee, updated_at=r.updated_at)
                for r in (await s.exec(select(PaperOrderRow).where(PaperOrderRow.venue == mine)
                                        .order_by(col(PaperOrderRow.seq)))).all()}
            fills: dict[str, list[Fill]] = {}
            for r in (await s.exec(select(PaperFillRow).where(PaperFillRow.venue == mine)
                                    .order_by(col(PaperFillRow.ts)))).all():
                fills.setdefault(r.client_id, []).append(Fill(
                    trade_id=r.trade_id, client_id=r.client_id, symbol=r.symbol, action=OrderAction(r.action),
                    qty=r.qty, price=r.price, fee=r.fee, ts=r.ts, is_maker=r.is_maker))
        for items in fills.values():
            items.sort(key=lambda f: (f.ts, int(f.trade_id.lstrip("p") or 0)))
        return PaperState(wallet=account.wallet, leverage=leverage, positions=positions, orders=orders, fills=fills,
                          order_seq=account.order_seq, trade_seq=account.trade_seq, liq_seq=account.liq_seq)

    async def save(self, changes: PaperChanges) -> None:
        await run(self._db, statements(dialect_of(self._db), changes, self.venue))
