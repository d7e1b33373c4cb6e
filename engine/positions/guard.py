"""Per-position maximum loss: a position whose loss reaches a share of equity is closed at market.

Independent of the stop order: it acts on the price itself, so a stop that is missing on the venue,
or that a gap jumped over, still ends in a close. The loss counts the realized part (fees, partial
exits) and the unrealized part of what is held at the tick's price; equity is the last one the
risk service saw. Called after the manager on every tick (backtest, paper and live alike).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal

from engine.domain.models import CloseReason, PositionState
from engine.domain.values import HUNDRED
from engine.market.base import PriceTick
from engine.positions.manager import PositionManager

log = logging.getLogger("engine.positions.guard")


class LossGuard:
    def __init__(self, manager: PositionManager, equity: Callable[[], Decimal | None], max_loss_pct: Decimal) -> None:
        self.manager, self._equity, self.max_loss_pct = manager, equity, max_loss_pct

    def limit(self) -> Decimal | None:
        equity = self._equity()
        if self.max_loss_pct <= 0 or not equity or equity <= 0:
            return None
        return equity * self.max_loss_pct / HUNDRED

    async def on_tick(self, tick: PriceTick) -> None:
        limit = self.limit()
        if limit is None:
            return
        for pos in self.manager.open_positions():
            if pos.symbol != tick.symbol or pos.state is not PositionState.OPEN or pos.close_reason is not None:
                continue
            loss = -(pos.realized_pnl + pos.unrealized(tick.price))
            if loss >= limit:
                log.warning("position %s lost %s (cap %s): closing at market", pos.id, round(loss, 2),
                            round(limit, 2))
                await self.manager.close(pos.id, CloseReason.MAX_LOSS)
