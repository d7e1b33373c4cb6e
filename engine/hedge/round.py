"""One hedge round as a state machine over two venues: open both legs, follow them, close them.

Every step is saved before its orders are sent (so a restart knows what may be on a venue) and
after (with its alert, in the same commit). Opening: both market orders go out concurrently; a
leg refused or not filled within ``fill_timeout_s`` makes the other leg close at once
(reduce-only market, reason ``unwind``): never a naked leg. Then at every price
(``on_price``) and every monitor pass (``check``) the rules (``engine.hedge.rules``) say which leg
to close or which take-profit limit to place; resting orders are followed by client id.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from engine.brokers.errors import BrokerError, NetworkError
from engine.clock import Clock
from engine.domain.events import Event
from engine.domain.hedge import (
    HedgeAlert,
    HedgeEvent,
    HedgeLeg,
    HedgeRound,
    LegExit,
    LegState,
    RoundState,
)
from engine.domain.models import OrderStatus
from engine.domain.values import Side
from engine.hedge import orders as O
from engine.hedge.plan import size_round
from engine.hedge.rules import Action, Rules, decide, stop_price, take_price
from engine.hedge.store import HedgeStore
from engine.venues import VenueHandle

log = logging.getLogger("engine.hedge")
Publish = Callable[[Event], Awaitable[None]]
_CLOSE_ALERT = {LegExit.STOP: HedgeAlert.LEG_STOPPED, LegExit.TAKE_PROFIT: HedgeAlert.LIMIT_FILLED,
                LegExit.FORCE: HedgeAlert.FORCED, LegExit.UNWIND: HedgeAlert.UNWOUND}


class HedgeRunner:
    """Drives rounds on a short venue and a long venue; one step at a time (a lock)."""

    def __init__(self, store: HedgeStore, clock: Clock, short: VenueHandle, long: VenueHandle, rules: Rules, *,
                 leverage: int = 1, fill_timeout_s: float = 10.0, max_hold: timedelta = timedelta(hours=4),
                 publish: Publish | None = None, paper: bool = True) -> None:
        self.store, self.clock, self.rules = store, clock, rules
        self.venues = {"s": short, "l": long}
        self.leverage, self.fill_timeout_s, self.max_hold = leverage, fill_timeout_s, max_hold
        self.publish, self.paper = publish, paper
        self.round: HedgeRound | None = None
        self.marks: dict[str, Decimal | None] = {"s": None, "l": None}
        self.lock = asyncio.Lock()

    # --- persistence -----------------------------------------------------------------------------
    def _event(self, rnd: HedgeRound, kind: HedgeAlert, venue: str | None = None, **kw: object) -> HedgeEvent:
        return HedgeEvent(ts=self.clock.now(), paper=self.paper, kind=kind, round_id=rnd.id, symbol=rnd.symbol,
                          venue=venue, **kw)  # type: ignore[arg-type]

    async def _save(self, rnd: HedgeRound, *events: HedgeEvent) -> HedgeRound:
        await self.store.save(rnd, events)
        self.round = rnd
        if self.publish is not None:
            for event in events:
                await self.publish(event)
        return rnd

    # --- opening ---------------------------------------------------------------------------------
    async def open(self, symbol: str, size: Decimal, symbols: dict[str, str] | None = None) -> HedgeRound:
        """Size and open a round; ``symbols`` gives each role's market when the venues name it differently
        (``SOL/USDT:USDT`` on one, ``SOL/USDC:USDC`` on the other)."""
        async with self.lock:
            s, lv = self.venues["s"], self.venues["l"]
            ss, ls = (symbols or {}).get("s", symbol), (symbols or {}).get("l", symbol)
            prices = dict(zip((s.name, lv.name), await asyncio.gather(s.market.price(ss), lv.market.price(ls)),
                              strict=True))
            specs = dict(zip((s.name, lv.name), await asyncio.gather(s.broker.market(ss), lv.broker.market(ls)),
                             strict=True))
            qty = size_round(size, prices, specs).qty  # type: ignore[arg-type]
            now = self.clock.now()
            legs = (HedgeLeg("s", s.name, Side.SHORT, qty, symbol=ss), HedgeLeg("l", lv.name, Side.LONG, qty, symbol=ls))
            rnd = HedgeRound(uuid.uuid4().hex[:10], symbol, size, qty, self.leverage, legs, now, now + self.max_hold)
            await self._save(rnd)  # before any order: a restart finds the round and looks its ids up
            try:
                await asyncio.gather(s.broker.prepare(ss, self.leverage), lv.broker.prepare(ls, self.leverage))
            except BrokerError as exc:  # no order was sent: the round ends here
                log.warning("hedge %s: margin or leverage not set (%s); nothing opened", rnd.id, exc)
                await self._save(replace(rnd, state=RoundState.FAILED, ended_at=self.clock.now()),
                                 self._event(rnd, HedgeAlert.FAILED, venue=f"{s.name},{lv.name}",
                                             detail={"error": exc.code}))
                return self.round  # type: ignore[return-value]
            await self._enter_both(rnd)
            return self.round  # type: ignore[return-value]

    async def _enter(self, rnd: HedgeRound, role: str) -> O.Outcome | None:
        venue, leg = self.venues[role], rnd.leg(role)
        client_id = O.cid(rnd.id, leg, "en", 1)
        try:
            order = await O.market(venue, leg.symbol, client_id, leg, opening=True, leverage=rnd.leverage, fresh=True)
            order = await O.wait_filled(venue, order, leg.symbol, self.fill_timeout_s, self.clock)
            if order.status is not OrderStatus.FILLED:
                cancelled = await O.cancel(venue, leg.symbol, client_id)
                order = cancelled or order
            return await O.outcome(venue, order, leg.symbol)
        except BrokerError as exc:
            log.warning("hedge %s: %s leg on %s not opened: %s", rnd.id, leg.side.value, venue.name, exc)
            if isinstance(exc, NetworkError):  # it may have reached the venue: look it up
                try:
                    found = await venue.broker.fetch_order(client_id, leg.symbol)
                except BrokerError:
                    return None
                return await O.outcome(venue, found, leg.symbol) if found is not None else None
            return None

    async def _enter_both(self, rnd: HedgeRound) -> None:
        results = await asyncio.gather(self._enter(rnd, "s"), self._enter(rnd, "l"))
        await self._after_entries(rnd, dict(zip("sl", results, strict=True)))

    async def _after_entries(self, rnd: HedgeRound, results: dict[str, O.Outcome | None]) -> None:
        now = self.clock.now()
        for role, got in results.items():
            leg = rnd.leg(role)
            if got is None:
                leg = replace(leg, state=LegState.FAILED)
            else:
                leg = replace(leg, state=LegState.OPEN, entry=got.price, fees=got.fees, opened_at=now)
            rnd = rnd.with_leg(leg)
        opened = [leg for leg in rnd.legs if leg.is_open]
        if len(opened) == 2:
            rnd = await self._save(replace(rnd, state=RoundState.OPEN),
                                   self._event(rnd, HedgeAlert.OPENED, detail={
                                       "qty": str(rnd.qty), "short": rnd.legs[0].venue, "long": rnd.legs[1].venue,
                                       "short_entry": str(rnd.legs[0].entry), "long_entry": str(rnd.legs[1].entry)}))
            for role in "sl":
                await self._place_stop(role)
            return
        if not opened:
            failed = [leg.venue for leg in rnd.legs]
            await self._save(replace(rnd, state=RoundState.FAILED, ended_at=now),
                             self._event(rnd, HedgeAlert.FAILED, venue=",".join(failed)))
            return
        rnd = await self._save(replace(rnd, state=RoundState.OPEN))
        await self._close(opened[0].role, LegExit.UNWIND)
        await self._maybe_end()

    async def _place_stop(self, role: str) -> None:
        rnd = self.round
        assert rnd is not None
        venue, leg = self.venues[role], rnd.leg(role)
        spec = await venue.broker.market(leg.symbol)
        price = stop_price(leg, self.rules, spec.price_step)
        if not venue.resting_stops:
            await self._save(rnd.with_leg(replace(leg, stop_price=price)))
            return
        try:
            await O.stop(venue, leg.symbol, O.cid(rnd.id, leg, "sl", 1), leg, price, rnd.leverage)
        except BrokerError as exc:  # the engine watches the price instead
            log.warning("hedge %s: stop on %s not placed (%s); the engine closes at market", rnd.id, venue.name, exc)
            await self._save(rnd.with_leg(replace(leg, stop_price=price)))
            return
        await self._save(rnd.with_leg(replace(leg, stop_price=price, stop_resting=True)))

    # --- after a restart --------------------------------------------------------------------------
    async def recover(self) -> HedgeRound | None:
        """Pick up the active round after a restart: look every order up by client id (never re-send an
        entry), finish what was under way, and end with no naked leg and no order placed twice."""
        async with self.lock:
            active = await self.store.active()
            if not active:
                return None
            rnd = self.round = active[-1]
            if rnd.state is RoundState.OPENING:
                results: dict[str, O.Outcome | None] = {}
                for role in "sl":
                    venue, leg = self.venues[role], rnd.leg(role)
                    client_id = O.cid(rnd.id, leg, "en", 1)
                    order = await venue.broker.fetch_order(client_id, leg.symbol)
                    if order is not None and not order.status.is_final:
                        order = await O.wait_filled(venue, order, leg.symbol, self.fill_timeout_s, self.clock)
                        if not order.status.is_final:
                            order = await O.cancel(venue, leg.symbol, client_id) or order
                    results[role] = None if order is None else await O.outcome(venue, order, leg.symbol)
                await self._after_entries(rnd, results)
                return self.round
            for leg in rnd.legs:
                if leg.is_open and leg.stop_price is None:
                    await self._place_stop(leg.role)
                elif leg.state is LegState.CLOSED and (leg.stop_resting or leg.tp_active):
                    venue = self.venues[leg.role]
                    for kind, seq, on in (("sl", 1, leg.stop_resting), ("tp", leg.tp_seq, leg.tp_active)):
                        if on:
                            await O.cancel(venue, leg.symbol, O.cid(rnd.id, leg, kind, seq))
                    assert self.round is not None
                    await self._save(self.round.with_leg(replace(leg, stop_resting=False, tp_active=False)))
            await self._step()
            return self.round

    # --- following -------------------------------------------------------------------------------
    async def on_price(self, role: str, price: Decimal) -> None:
        """A price of the leg's venue (a stream tick or a poll): follow and act at once."""
        async with self.lock:
            self.marks[role] = price
            await self._step()

    async def check(self) -> None:
        """The monitor's pass (every ``monitor_seconds``): resting orders, deadline, thresholds."""
        async with self.lock:
            await self._step()

    async def request_stop(self) -> None:
        """Force-close both legs (``/hedge stop``, ``/panic``)."""
        async with self.lock:
            if self.round is not None and self.round.is_active:
                await self._save(replace(self.round, stop_requested=True))
                await self._step()

    async def _step(self) -> None:
        rnd = self.round
        if rnd is None or rnd.state is not RoundState.OPEN:
            return
        await self._follow_resting()
        await self._resume_closes()
        assert self.round is not None
        for action in decide(self.round, self.marks, self.clock.now(), self.rules):
            await self._apply(action)
        await self._maybe_end()

    async def _apply(self, action: Action) -> None:
        if action.kind == "close":
            assert action.reason is not None
            await self._close(action.role, action.reason)
        elif action.kind == "place_tp":
            await self._place_take(action.role)
        elif action.kind == "cancel_tp":
            await self._cancel_take(action.role)

    async def _follow_resting(self) -> None:
        """A resting stop or take-profit that filled closes its leg."""
        for role in "sl":
            for kind in ("sl", "tp"):
                rnd = self.round
                assert rnd is not None
                leg, venue = rnd.leg(role), self.venues[role]
                active = leg.stop_resting if kind == "sl" else leg.tp_active
                if not leg.is_open or not active:
                    continue
                client_id = O.cid(rnd.id, leg, kind, 1 if kind == "sl" else leg.tp_seq)
                try:
                    order = await venue.broker.fetch_order(client_id, leg.symbol)
                except BrokerError:
                    continue  # the venue is unreachable: its resting order still protects the leg
                got = None if order is None else await O.outcome(venue, order, leg.symbol)
                if got is not None:
                    await self._closed(role, LegExit.STOP if kind == "sl" else LegExit.TAKE_PROFIT, got)
                elif order is not None and order.status.is_final:  # cancelled / expired on the venue
                    gone = replace(leg, stop_resting=False) if kind == "sl" else replace(leg, tp_active=False)
                    await self._save(rnd.with_leg(gone))

    async def _resume_closes(self) -> None:
        rnd = self.round
        assert rnd is not None
        for leg in rnd.legs:
            if leg.is_open and leg.closing is not None:
                await self._send_close(leg.role)

    async def _close(self, role: str, reason: LegExit) -> None:
        rnd = self.round
        assert rnd is not None
        leg = rnd.leg(role)
        if not leg.is_open:
            return
        await self._save(rnd.with_leg(replace(leg, closing=reason, close_seq=leg.close_seq + 1)))
        await self._send_close(role, fresh=True)

    async def _send_close(self, role: str, fresh: bool = False) -> None:
        rnd = self.round
        assert rnd is not None
        leg, venue = rnd.leg(role), self.venues[role]
        assert leg.closing is not None
        client_id = O.cid(rnd.id, leg, "cl", leg.close_seq)
        try:
            order = await O.market(venue, leg.symbol, client_id, leg, opening=False, leverage=rnd.leverage,
                                   fresh=fresh)
            order = await O.wait_filled(venue, order, leg.symbol, self.fill_timeout_s, self.clock)
            got = await O.outcome(venue, order, leg.symbol)
        except BrokerError as exc:
            got = None
            log.warning("hedge %s: closing the %s leg on %s failed: %s", rnd.id, leg.side.value, venue.name, exc)
            if isinstance(exc, NetworkError) and venue.reachable:
                venue.reachable = False
                await self._save(rnd, self._event(rnd, HedgeAlert.VENUE_DOWN, venue=venue.name,
                                                  detail={"error": exc.code}))
        if got is None:
            return  # tried again at the next price or monitor pass (same client id: never twice)
        venue.reachable = True
        await self._closed(role, leg.closing, got)

    async def _closed(self, role: str, reason: LegExit, got: O.Outcome) -> None:
        """The leg is flat: record it, withdraw its other resting orders, alert."""
        rnd = self.round
        assert rnd is not None
        leg, venue = rnd.leg(role), self.venues[role]
        for kind, seq, active in (("sl", 1, leg.stop_resting), ("tp", leg.tp_seq, leg.tp_active)):
            if active and not (reason is LegExit.STOP and kind == "sl") \
                    and not (reason is LegExit.TAKE_PROFIT and kind == "tp"):
                await O.cancel(venue, leg.symbol, O.cid(rnd.id, leg, kind, seq))  # reduce-only: harmless if missed
        leg = replace(leg, state=LegState.CLOSED, exit=got.price, fees=leg.fees + got.fees, reason=reason,
                      closing=None, closed_at=self.clock.now(), stop_resting=False, tp_active=False)
        await self._save(rnd.with_leg(leg), self._event(rnd, _CLOSE_ALERT[reason], venue=venue.name,
                                                        price=got.price, pnl=leg.pnl))

    async def _place_take(self, role: str) -> None:
        rnd = self.round
        assert rnd is not None
        leg, venue = rnd.leg(role), self.venues[role]
        spec = await venue.broker.market(leg.symbol)
        price = leg.tp_price or take_price(leg, self.rules, spec.price_step)
        seq = leg.tp_seq + 1
        leg = replace(leg, tp_seq=seq, tp_price=price, tp_active=True)
        rnd = await self._save(rnd.with_leg(leg))  # before the order: the id is known after a crash
        try:
            order = await O.take_limit(venue, leg.symbol, O.cid(rnd.id, leg, "tp", seq), leg, price, rnd.leverage)
        except BrokerError as exc:
            log.warning("hedge %s: take-profit on %s not placed: %s", rnd.id, venue.name, exc)
            await self._save(rnd.with_leg(replace(leg, tp_active=False)))
            return
        await self._save(rnd, self._event(rnd, HedgeAlert.LIMIT_PLACED, venue=venue.name, price=price))
        got = await O.outcome(venue, order, leg.symbol)
        if got is not None:  # marketable: filled at once
            await self._closed(role, LegExit.TAKE_PROFIT, got)

    async def _cancel_take(self, role: str) -> None:
        rnd = self.round
        assert rnd is not None
        leg, venue = rnd.leg(role), self.venues[role]
        final = await O.cancel(venue, leg.symbol, O.cid(rnd.id, leg, "tp", leg.tp_seq))
        got = None if final is None else await O.outcome(venue, final, leg.symbol)
        if got is not None:
            await self._closed(role, LegExit.TAKE_PROFIT, got)
        elif final is not None:
            await self._save(rnd.with_leg(replace(leg, tp_active=False)))

    async def _maybe_end(self) -> None:
        rnd = self.round
        assert rnd is not None
        if rnd.state is RoundState.OPEN and not any(leg.is_open for leg in rnd.legs):
            await self._save(replace(rnd, state=RoundState.DONE, ended_at=self.clock.now()),
                             self._event(rnd, HedgeAlert.ENDED, pnl=rnd.pnl, detail={"fees": str(rnd.fees)}))
