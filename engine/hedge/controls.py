"""The façade's hedge commands (``/hedge start|stop|status``), kept beside the hedge so the façade stays
small. ``Engine`` mixes this in; ``self.hedge`` is its ``HedgeService``."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from engine.bus import EventBus
from engine.domain.events import EngineError
from engine.domain.reasons import ErrorCode
from engine.hedge.service import HedgeService, HedgeStart, HedgeStatus

log = logging.getLogger("engine")


class HedgeControls:
    hedge: HedgeService
    _c: Any  # the engine's components (jobs)
    bus: EventBus

    async def hedge_start(self, symbol: str, size: Decimal | None, by: str) -> HedgeStart:
        """Open a hedge round: short on SP_HEDGE__SHORT_VENUE, long on SP_HEDGE__LONG_VENUE."""
        log.info("hedge %s %s asked by %s", symbol, size, by)
        return await self.hedge.start_round(symbol, size)

    async def hedge_stop(self, by: str) -> bool:
        """Close both legs of the round under way at market; False when there is none."""
        log.info("hedge stop asked by %s", by)
        return await self.hedge.stop_round() is not None

    async def hedge_status(self) -> HedgeStatus:
        """Both legs, both prices, the spread and the PnL of the current (or last) round."""
        return await self.hedge.status()

    async def _resume_hedge(self) -> None:
        """A hedge round under way before a restart is recovered on both its venues; then the named
        venues are reconciled, now and every ``SP_EXCHANGE__RECONCILE_MIN`` (live only)."""
        try:
            await self.hedge.start()
        except Exception as exc:  # a venue down: the round is still stored; /hedge status shows it
            log.warning("hedge round not recovered yet: %s", exc)
        if not self.hedge.settings.paper and self.hedge.settings.venues:
            await self._reconcile_venues()
            self._c.jobs.add("reconcile-venues", self._reconcile_venues, self.hedge.settings.exchange.reconcile_min)

    async def _reconcile_venues(self) -> None:
        """Each named venue reconciled; what needs a human is raised as for the default venue (``RECONCILED``)."""
        try:
            reports = await self.hedge.reconcile()
        except Exception as exc:  # a venue down or keys refused: asked again at the next run
            log.warning("named venues not reconciled: %s", exc)
            return
        for report in reports:
            if report.repaired:
                await self.bus.publish(EngineError(ts=self.hedge.clock.now(), paper=False, code=ErrorCode.RECONCILED,
                                                   detail=report.summary()))
