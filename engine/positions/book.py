"""The position manager's in-memory view of what is open: positions by id and by symbol, their
orders by client id, and the fills already applied to each. Every look-up a tick or a fill needs
costs the same however many positions are open (no scan of them all)."""

from __future__ import annotations

from collections.abc import Iterable

from engine.domain.algos import Algo
from engine.domain.models import Fill, Order, Position


class PositionBook:
    def __init__(self) -> None:
        self._open: dict[str, Position] = {}
        self._by_symbol: dict[str, dict[str, Position]] = {}
        self._orders: dict[str, dict[str, Order]] = {}  # per open position, by client id
        self._applied: dict[str, set[tuple[str, str]]] = {}  # (client id, trade id), per open position
        self._algos: dict[str, dict[str, Algo]] = {}  # execution algorithms' runs, per open position

    def clear(self) -> None:
        self._open, self._by_symbol, self._orders, self._applied, self._algos = {}, {}, {}, {}, {}

    # --- reading ----------------------------------------------------------------------------------
    def positions(self) -> list[Position]:
        return [p for p in self._open.values() if p.is_open]

    def get(self, position_id: str) -> Position | None:
        return self._open.get(position_id)

    def of_symbol(self, symbol: str) -> list[Position]:
        mine = self._by_symbol.get(symbol)
        return list(mine.values()) if mine else []

    def orders(self, position_id: str) -> list[Order]:
        return list(self._orders.get(position_id, {}).values())

    def order(self, position_id: str, client_id: str) -> Order | None:
        return self._orders.get(position_id, {}).get(client_id)

    def algos(self, position_id: str) -> list[Algo]:
        return list(self._algos.get(position_id, {}).values())

    def applied(self, position_id: str) -> set[tuple[str, str]] | None:
        """The fills applied to an open position, when they are known here (None: not read yet)."""
        return self._applied.get(position_id)

    # --- writing ----------------------------------------------------------------------------------
    def put(self, pos: Position, orders: Iterable[Order] = ()) -> None:
        """Hold ``pos`` (and these of its orders): open, or forgotten once it is over."""
        if pos.is_open:
            self._open[pos.id] = pos
            self._by_symbol.setdefault(pos.symbol, {})[pos.id] = pos
            known = self._orders.setdefault(pos.id, {})
            for o in orders:
                known[o.client_id] = o
            return
        self._open.pop(pos.id, None)
        self._orders.pop(pos.id, None)
        self._applied.pop(pos.id, None)
        self._algos.pop(pos.id, None)
        mine = self._by_symbol.get(pos.symbol)
        if mine is not None:
            mine.pop(pos.id, None)
            if not mine:
                del self._by_symbol[pos.symbol]

    def put_algos(self, algos: Iterable[Algo]) -> None:
        """Algorithms' new state, when their position is held here."""
        for algo in algos:
            if algo.position_id in self._open:
                self._algos.setdefault(algo.position_id, {})[algo.id] = algo

    def put_order(self, order: Order) -> None:
        """An order's new state, when its position is held here."""
        pos = self._open.get(order.position_id)
        if pos is not None:
            self.put(pos, (order,))

    def know_fills(self, position_id: str, fills: Iterable[Fill | tuple[str, str]]) -> None:
        """Fills applied to an open position (a new position: none)."""
        if position_id not in self._open and position_id in self._applied:
            return
        seen = self._applied.setdefault(position_id, set())
        for f in fills:
            seen.add(f if isinstance(f, tuple) else (f.client_id, f.trade_id))
