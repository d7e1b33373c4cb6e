"""What traders read about their results and about a card (/profit, /daily, /weekly, /performance,
/version, a card's stake, where each setting comes from). A part of the façade (``engine.facade.Engine``): reads the database and
the broker, computes with ``engine.stats``."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from importlib import metadata
from typing import TYPE_CHECKING

from engine import stats
from engine.brokers.errors import NetworkError
from engine.domain.models import Signal
from engine.stats import Performance, PeriodTable, ProfitView, Stake

if TYPE_CHECKING:
    from engine.clock import Clock
    from engine.wiring import Components

PERIOD_KINDS = ("daily", "weekly")


@dataclass(frozen=True)
class About:
    version: str
    paper: bool
    mode: str  # execution mode
    venue: str
    markets: int


def version() -> str:
    """SignalPilot's version as installed (the package metadata), ``dev`` when not installed."""
    try:
        return metadata.version("signalpilot")
    except metadata.PackageNotFoundError:
        return "dev"


class Reporting:
    _c: Components
    clock: Clock

    async def profit(self) -> ProfitView:
        """Every closed trade: return %, win rate, profit factor, best and worst pair, average duration."""
        bal = await self._c.broker.balance()
        closed = await self._c.repo.closed_positions()
        return stats.profit(closed, bal.wallet, bal.currency, len(self._c.manager.open_positions()))

    async def periods(self, kind: str, count: int = 7) -> PeriodTable:
        """The last ``count`` UTC days (``daily``) or weeks (``weekly``); ValueError for another kind."""
        if kind not in PERIOD_KINDS:
            raise ValueError(f"unknown period kind {kind!r}: use daily or weekly")
        bal = await self._c.broker.balance()
        closed = await self._c.repo.closed_positions()
        return stats.periods(closed, bal.wallet, bal.currency, kind, max(1, min(count, 60)), self.clock.now().date())

    async def performance(self) -> Performance:
        """Net PnL per pair, best first."""
        bal = await self._c.broker.balance()
        return stats.performance(await self._c.repo.closed_positions(), bal.wallet, bal.currency)

    async def stake(self, signal: Signal) -> Stake | None:
        """What confirming ``signal`` would put at stake now (sized as the risk gate sizes it); None when
        the market or the balance cannot be read."""
        c = self._c
        try:
            market = await (c.market.market if c.broker.paper else c.broker.market)(signal.symbol)
            bal = await c.broker.balance()
        except (NetworkError, KeyError, ValueError):
            return None
        cap = c.settings.qmt.stock_cap_pct if market.long_only else Decimal(0)  # A-shares: one stock's share
        qty = c.trading.gate.size(signal, market, bal.equity, c.runtime.risk_per_trade_pct, cap)
        return stats.stake(signal, qty, bal.equity, bal.currency, c.settings.broker.taker_fee)

    async def about(self) -> About:
        """Version, paper or live, execution mode, venue (``replay`` on recorded data) and market count."""
        c = self._c
        venue = "replay" if c.replay is not None else c.settings.exchange.name
        try:
            markets = len(await c.market.symbols())
        except NetworkError:
            markets = 0
        return About(version(), c.settings.paper, c.runtime.execution_mode, venue, markets)

    def setting_sources(self) -> dict[str, str]:
        """Where each runtime setting's value comes from: chat (wins over the environment), env, default."""
        return dict(self._c.runtime.sources)
