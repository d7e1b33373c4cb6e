"""Drives the execution algorithms (TWAP, iceberg) on every tick, in backtest, paper and live alike:
for each run of an open position on the tick's symbol, ``algos.step`` decides (slices due, a
refill, the end, progress to tell) and the manager applies it through ``adjust`` (one step under
its lock, the run's state in the same unit of work as its slices). The runs live in the manager's
book (read from the database at start): a restart goes on where the last process stopped."""

from __future__ import annotations

from decimal import Decimal

from engine.clock import Clock
from engine.domain.algos import Algo
from engine.domain.models import Order, Position
from engine.execution.algos import step
from engine.market.base import PriceTick
from engine.positions import lifecycle as lc
from engine.positions.changes import Build
from engine.positions.manager import PositionManager


class AlgoWatch:
    def __init__(self, manager: PositionManager, clock: Clock) -> None:
        self.manager, self.clock = manager, clock

    async def on_tick(self, tick: PriceTick) -> None:
        positions = self.manager.positions_on(tick.symbol)
        if not positions:
            return  # a quiet tick: nothing looked at
        now = self.clock.now()
        for pos in positions:
            for algo in self.manager.algos_of(pos.id):
                for _ in range(2):  # a second look tells what the slices just sent filled (a synchronous venue)
                    held = self.manager.position(pos.id)
                    algo = next((a for a in self.manager.algos_of(pos.id) if a.id == algo.id), algo)
                    if held is None or algo.status.is_final:
                        break
                    ctx = await self.manager.ctx(pos.symbol)
                    if step(algo, held, self.manager.orders_of(pos.id), tick.price, now, ctx) is None:
                        break  # nothing to do: no lock taken
                    await self.manager.adjust(pos.id, self._build(algo.id, tick.price))

    def _build(self, algo_id: str, price: Decimal) -> Build:
        now = self.clock.now()

        def build(pos: Position, orders: list[Order], ctx: lc.Context) -> lc.Transition | None:
            algo: Algo | None = next((a for a in self.manager.algos_of(pos.id) if a.id == algo_id), None)
            return step(algo, pos, orders, price, now, ctx) if algo is not None else None

        return build
