"""The hedge inside the running engine: ``/hedge start|stop|status`` and ``/panic`` through the façade.

The two venues (``SP_HEDGE__SHORT_VENUE``, ``SP_HEDGE__LONG_VENUE``) are built on first use from the
venue registry's settings (paper brokers on each venue's live data in paper mode, the venues'
own accounts live); a restart with a round under way rebuilds them and recovers it. A monitor
task looks at both venues every ``monitor_seconds``, and each venue's price stream (REST polling
while it is down) gives every new price to the round at once. One venue unreachable: the other
leg keeps its own protection and an alert names the venue. Continuous rounds stop when today's
rounds have lost ``SP_RISK__DAILY_LOSS_LIMIT_PCT`` of the two venues' equity (the hedge venues'
own accounts, in their own currency), and a paused engine (/pause) starts no new round.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from config.settings import Settings
from engine.brokers.errors import BrokerError
from engine.bus import EventBus
from engine.clock import Clock
from engine.domain.hedge import HedgeAlert, HedgeEvent, HedgeRound
from engine.domain.values import HUNDRED
from engine.hedge.plan import PlanRefused
from engine.hedge.reconcile import VenueReport, reconcile_venue
from engine.hedge.replay import daily_loss_reached, runner_for
from engine.hedge.round import HedgeRunner
from engine.hedge.store import KvHedgeStore
from engine.market.base import PriceTick
from engine.tasks import cancel_all, spawn
from engine.venues import DEFAULT, VenueHandle, build_live_venue, exchange_settings, paper_store

log = logging.getLogger("engine.hedge")


@dataclass(frozen=True)
class HedgeStart:
    """What ``/hedge start`` did: ``code`` is ``started``, ``unwound`` (one leg failed, the other was
    closed at once), ``failed`` (nothing opened) or a refusal (``busy``, ``paused``, ``replay``, ``venue``,
    ``symbol``, ``refused`` with the sizing reason in ``detail``)."""

    code: str
    round: HedgeRound | None = None
    detail: dict[str, str] | None = None


@dataclass(frozen=True)
class HedgeStatus:
    """Both legs, both prices, the spread and the PnL of the current (or last) round."""

    round: HedgeRound | None
    prices: dict[str, Decimal | None]  # by role: "s", "l"
    spread_pct: Decimal | None
    unrealized: Decimal
    venues_down: tuple[str, ...] = ()


class HedgeService:
    def __init__(self, settings: Settings, repo: Any, clock: Clock, bus: EventBus, risk: Any) -> None:
        self.settings, self.clock, self.bus, self.risk = settings, clock, bus, risk
        self.store = KvHedgeStore(repo)
        self._repo = repo
        self.venues: dict[str, VenueHandle] | None = None  # tests may set their own before use
        self.runner: HedgeRunner | None = None
        self.symbol: str | None = None  # what the user asked for (e.g. SOL/USDT)
        self.symbols: dict[str, str] = {}  # each role's market on its venue
        self.size: Decimal | None = None
        self.continuous = settings.hedge.mode == "continuous"
        self._tasks: list[asyncio.Task[object]] = []
        self._ended: list[HedgeRound] = []  # rounds ended in this run (the daily-loss limit counts today's)
        self.run_tasks = True  # tests drive prices themselves (``on_price``) on a replay clock

    # --- lifecycle -------------------------------------------------------------------------------
    def _build_venues(self) -> dict[str, VenueHandle]:
        hs, exchanges = self.settings.hedge, exchange_settings(self.settings)
        out = {}
        for role, name in (("s", hs.short_venue), ("l", hs.long_venue)):
            if name.lower() not in exchanges:
                raise KeyError(name)
            out[role] = build_live_venue(name.lower(), exchanges[name.lower()], self.settings, self.clock,
                                         store=paper_store(self._repo.db, name))
        return out

    async def _ensure_runner(self) -> HedgeRunner:
        if self.runner is None:
            if self.venues is None:
                self.venues = self._build_venues()
            for handle in self.venues.values():
                await handle.broker.start()
            self.runner = runner_for(self.settings, self.store, self.clock, self.venues["s"], self.venues["l"],
                                     publish=self._publish, paper=self.settings.paper)
        return self.runner

    async def start(self) -> None:
        """After a restart: recover the round under way (if any) and follow it again."""
        active = await self.store.active()
        if not active:
            return
        runner = await self._ensure_runner()
        rnd = await runner.recover()
        if rnd is not None:
            self.symbol, self.size = rnd.symbol, rnd.size
            self.symbols = {leg.role: leg.symbol or rnd.symbol for leg in rnd.legs}
            self._follow()

    async def reconcile(self) -> list[VenueReport]:
        """Live: each named venue the hedge trades on, as the default venue is reconciled (at start and
        every ``SP_EXCHANGE__RECONCILE_MIN``): orphan orders of ours cancelled, strangers reported."""
        hs = self.settings.hedge
        wanted = {hs.short_venue.lower(), hs.long_venue.lower()}
        if self.settings.paper or not self.settings.venues or (
                self.venues is None and not wanted <= set(exchange_settings(self.settings))):
            return []
        runner = await self._ensure_runner()

        async def rounds() -> list[HedgeRound | None]:
            return [runner.round, *await self.store.active()]

        return [await reconcile_venue(handle.name, handle.broker, self._repo, rounds)
                for handle in (self.venues or {}).values() if handle.name != DEFAULT]

    async def stop(self) -> None:
        await cancel_all(self._tasks)
        self._tasks.clear()
        if self.venues is not None:
            for handle in self.venues.values():
                for part in (handle.broker, handle.market):
                    try:
                        await part.close()
                    except Exception as exc:  # closing one venue never stops the other closing
                        log.warning("closing venue %s: %s", handle.name, exc)

    async def _publish(self, event: HedgeEvent) -> None:
        await self.bus.publish(event)
        runner = self.runner
        if event.kind is HedgeAlert.ENDED and runner is not None and runner.round is not None:
            self._ended.append(runner.round)
            equity = sum([(await v.broker.balance()).equity for v in (self.venues or {}).values()], Decimal(0))
            if daily_loss_reached(self._ended, self.clock.now(), equity, self.settings.risk.daily_loss_limit_pct):
                log.warning("hedge: the daily loss limit is reached; no new round today")
                self.symbol = None  # continuous mode stops here

    # --- commands --------------------------------------------------------------------------------
    async def start_round(self, symbol: str, size: Decimal | None = None) -> HedgeStart:
        size = size if size is not None else self.settings.hedge.size_usdt
        if self.runner is not None and self.runner.round is not None and self.runner.round.is_active:
            return HedgeStart("busy", self.runner.round)
        if self.risk is not None and self.risk.state.state.value != "active":
            return HedgeStart("paused")
        if self.venues is None and self.settings.market.source == "replay":
            return HedgeStart("replay")  # replayed candles: `signalpilot hedge` runs rounds on them
        try:
            runner = await self._ensure_runner()
        except KeyError as exc:
            return HedgeStart("venue", detail={"venue": str(exc).strip("'")})
        try:
            self.symbols = {role: await venue_symbol(handle, symbol) for role, handle in self.venues.items()}  # type: ignore[union-attr]
        except KeyError:
            return HedgeStart("symbol", detail={"symbol": symbol})
        except BrokerError as exc:
            return HedgeStart("venue", detail={"error": exc.code})
        self.symbol, self.size = symbol, size
        try:
            await self._price_both(runner)
            rnd = await runner.open(symbol, size, self.symbols)
        except PlanRefused as exc:
            return HedgeStart("refused", detail={"code": exc.code, **exc.detail})
        except BrokerError as exc:
            return HedgeStart("venue", detail={"error": exc.code})
        if rnd.state.value == "failed":
            return HedgeStart("failed", rnd)
        self._follow()
        return HedgeStart("started" if rnd.is_active else "unwound", rnd)

    async def stop_round(self) -> HedgeRound | None:
        """Close both legs at market (``/hedge stop``); no new round in continuous mode."""
        self.symbol = None
        runner = self.runner
        if runner is None or runner.round is None or not runner.round.is_active:
            return None
        await runner.request_stop()
        return runner.round

    async def status(self) -> HedgeStatus:
        runner = self.runner
        rnd = runner.round if runner is not None else None
        if rnd is None:
            recent = await self.store.recent(1)
            rnd = recent[-1] if recent else None
        prices: dict[str, Decimal | None] = dict(runner.marks) if runner is not None else {"s": None, "l": None}
        spread = None
        if prices.get("s") and prices.get("l"):
            spread = (prices["l"] - prices["s"]) / prices["s"] * HUNDRED  # type: ignore[operator]
        unreal = sum((leg.unrealized(mark) for leg in rnd.legs if (mark := prices.get(leg.role)) is not None and mark),
                     Decimal(0)) if rnd is not None else Decimal(0)
        down = tuple(v.name for v in (self.venues or {}).values() if not v.reachable)
        return HedgeStatus(rnd, prices, spread, unreal, down)

    # --- following -------------------------------------------------------------------------------
    def _follow(self) -> None:
        if self._tasks or not self.run_tasks:
            return
        self._tasks.append(spawn(self._monitor(), "hedge-monitor"))
        if self.venues is not None and self.symbol is not None:
            for role, handle in self.venues.items():
                watch: Callable[..., None] | None = getattr(handle.market, "watch", None)
                if watch is not None:
                    watch(self.symbols.get(role, self.symbol))
                    self._tasks.append(spawn(handle.market.run(self._streamed(role)), f"hedge-prices-{handle.name}"))

    def _streamed(self, role: str) -> Any:
        async def on_tick(tick: PriceTick) -> None:
            if self.runner is None or tick.symbol != self.symbols.get(role):
                return
            await self.on_price(role, tick)
        return on_tick

    async def on_price(self, role: str, tick: PriceTick) -> None:
        """A price of one venue: its paper broker matches first, then the round reacts."""
        assert self.venues is not None and self.runner is not None
        handle = self.venues[role]
        if handle.broker.paper:
            await handle.broker.on_price(tick)
        await self.runner.on_price(role, tick.price)

    async def _price_both(self, runner: HedgeRunner) -> None:
        assert self.venues is not None
        for role, handle in self.venues.items():
            symbol = self.symbols.get(role)
            if symbol is None:
                continue
            try:
                price = await handle.market.price(symbol)
            except BrokerError as exc:
                await self._venue_down(runner, handle, exc)
                continue
            if price is not None:
                handle.reachable = True
                await self.on_price(role, PriceTick(symbol, price, self.clock.now()))

    async def _venue_down(self, runner: HedgeRunner, handle: VenueHandle, exc: BrokerError) -> None:
        if not handle.reachable:
            return
        handle.reachable = False
        log.warning("hedge: venue %s unreachable: %s", handle.name, exc)
        rnd = runner.round
        if rnd is not None:
            event = HedgeEvent(ts=self.clock.now(), paper=self.settings.paper, kind=HedgeAlert.VENUE_DOWN,
                               round_id=rnd.id, symbol=rnd.symbol, venue=handle.name, detail={"error": exc.code})
            await self.store.save(rnd, (event,))
            await self.bus.publish(event)

    async def _monitor(self) -> None:
        """Every ``monitor_seconds``: prices of both venues, resting orders, the deadline; then the next
        round in continuous mode (after the cooldown, unless paused or stopped)."""
        hs = self.settings.hedge
        ended_at: datetime | None = None
        while True:
            await self.clock.sleep(hs.monitor_seconds)
            runner = self.runner
            if runner is None:
                continue
            if runner.round is not None and runner.round.is_active:
                await self._price_both(runner)
                await runner.check()
                ended_at = None
                continue
            if not self.continuous or self.symbol is None:
                continue
            ended_at = ended_at or self.clock.now()
            if (self.clock.now() - ended_at).total_seconds() < hs.cooldown_s:
                continue
            if self.risk is not None and self.risk.state.state.value != "active":
                log.info("hedge: no new round while trading is paused")
                self.symbol = None
                continue
            try:
                await self._price_both(runner)
                await runner.open(self.symbol, self.size or hs.size_usdt, self.symbols)
            except (PlanRefused, BrokerError) as exc:
                log.warning("hedge: next round not opened: %s", exc)
            ended_at = None




async def venue_symbol(handle: VenueHandle, text: str) -> str:
    """The venue's market for what the user typed: the same symbol, else the coin's perpetual there
    (``SOL/USDT`` → ``SOL/USDC:USDC`` on a USDC venue). KeyError when the venue has none."""
    known = await handle.market.symbols()
    wanted = text.strip().upper()
    if wanted in known:
        return wanted
    base = wanted.split("/")[0]
    same = [s for s in known if s.split("/")[0] == base]
    for candidate in sorted(same, key=lambda s: (s.split(":")[0] != wanted, ":" not in s)):
        return candidate
    raise KeyError(text)
