"""Trading service: confirm and cancel signals, close positions, panic. Every entry passes the risk gate."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from config.settings import Settings
from engine.brokers.base import Broker
from engine.bus import EventBus
from engine.clock import Clock
from engine.domain.amounts import margin_of
from engine.domain.events import PanicCompleted, PanicItem, RiskRejected, SignalCancelled, SignalConfirmed
from engine.domain.models import CloseReason, Leg, MarketSpec, PositionState, Signal, SignalStatus
from engine.domain.reasons import PauseReason, RejectReason
from engine.domain.values import HUNDRED
from engine.execution import algos
from engine.execution.entry import plan_of, shape_open
from engine.market.base import MarketData
from engine.plan import Planner
from engine.positions.lifecycle import Transition
from engine.positions.manager import PositionManager
from engine.risk.exposure import find_correlated
from engine.risk.gate import Decision, GateInput, Limits, RiskGate
from engine.risk.service import RiskService
from engine.runtime import RuntimeSettings
from engine.storage.repository import Repository
from engine.views import CancelResult, CloseResult, ConfirmOutcome, ConfirmResult

log = logging.getLogger("engine.trading")

AUTO = "auto"  # who confirms in auto mode
REFUSAL_QUIET = timedelta(hours=1)  # auto mode says the same refusal for the same symbol once in this time


class TradingService:
    def __init__(self, settings: Settings, repo: Repository, bus: EventBus, clock: Clock, market: MarketData,
                 broker: Broker, manager: PositionManager, gate: RiskGate, risk: RiskService, planner: Planner,
                 runtime: RuntimeSettings) -> None:
        self.settings, self.repo, self.bus, self.clock = settings, repo, bus, clock
        self.market, self.broker, self.manager, self.gate = market, broker, manager, gate
        self.risk, self.planner, self.runtime = risk, planner, runtime
        self.paper = settings.paper
        self._confirm_lock = asyncio.Lock()
        self._panic: asyncio.Task[PanicCompleted] | None = None
        self.expiry_clock: Clock = clock  # a signal's time to live runs on it (see engine.signal_service)
        self._refusals: dict[tuple[str, RejectReason], datetime] = {}  # auto mode: (symbol, reason) → said at

    async def price(self, symbol: str) -> Decimal | None:
        return self.broker.mark_price(symbol) or await self.market.price(symbol)

    # --- confirm / cancel ----------------------------------------------------------------------
    async def confirm(self, signal_id: str, by: str, max_drift_pct: Decimal | None,
                      algo: str | None = None) -> ConfirmResult:
        """``algo``: ``twap`` or ``market`` as asked for, None as the settings say (``algos.choose``)."""
        async with self._confirm_lock:
            return await self._confirm(signal_id, by, max_drift_pct, algo)

    async def _confirm(self, signal_id: str, by: str, max_drift_pct: Decimal | None,
                       algo: str | None = None) -> ConfirmResult:
        sig = await self.repo.get_signal(signal_id)
        if sig is None:
            return ConfirmResult(ConfirmOutcome.REJECTED, None, reason=RejectReason.SIGNAL_NOT_FOUND)
        if sig.status is SignalStatus.CONFIRMED:
            pos = await self.repo.position_for_signal(sig.id)
            return ConfirmResult(ConfirmOutcome.ALREADY, sig, position=pos)
        if sig.status is not SignalStatus.RAISED:
            reason = RejectReason.SIGNAL_EXPIRED if sig.status is SignalStatus.EXPIRED else RejectReason.SIGNAL_CLOSED
            return ConfirmResult(ConfirmOutcome.REJECTED, sig, reason=reason, detail={"status": sig.status.value})
        now = self.clock.now()
        if self.expiry_clock.now() >= sig.expires_at:
            sig = sig.with_status(SignalStatus.EXPIRED, reason="ttl")
            await self.repo.save_signal(sig)
            return ConfirmResult(ConfirmOutcome.REJECTED, sig, reason=RejectReason.SIGNAL_EXPIRED)
        price = await self.price(sig.symbol)
        if price is None:
            return ConfirmResult(ConfirmOutcome.REJECTED, sig, reason=RejectReason.NO_PRICE)
        market = await (self.market.market if self.broker.paper else self.broker.market)(sig.symbol)
        if max_drift_pct is not None and abs(price - sig.entry) / sig.entry * HUNDRED > max_drift_pct:
            plan = self.planner.replan(sig.side, sig.entry, sig.stop, sig.targets, price, sig.leverage, market)
            sig = replace(sig, entry=plan.entry, stop=plan.stop, targets=plan.targets)
            await self.repo.save_signal(sig)
            return ConfirmResult(ConfirmOutcome.DRIFT, sig, price=price)
        sig = sig.with_status(SignalStatus.CONFIRMED, by=by)
        await self.repo.save_signal(sig)
        decision = await self._check(sig, market)
        if not decision.ok:
            assert decision.reason is not None
            sig = sig.with_status(SignalStatus.REJECTED, by=by, reason=decision.reason.value)
            rejected = RiskRejected(ts=now, paper=self.paper, signal=sig, reason=decision.reason,
                                    detail=decision.detail)
            if by == AUTO:
                self._refusals[(sig.symbol, decision.reason)] = now
            await self.repo.save_signal(sig, (rejected,))  # the alert in the same commit
            await self.bus.publish(rejected)
            return ConfirmResult(ConfirmOutcome.REJECTED, sig, reason=decision.reason, detail=decision.detail)
        # said only once the entry is going ahead: a card never reads "confirmed", then "not opened"
        await self.bus.publish(SignalConfirmed(ts=now, paper=self.paper, signal=sig, by=by))
        if decision.leverage and decision.leverage != sig.leverage:  # lowered after losses (engine.risk.reduction)
            sig = replace(sig, leverage=decision.leverage)
        exits = self.settings.plan
        entry_plan = plan_of(self.settings.risk)
        run = algos.choose(self.settings.risk, decision.qty * sig.entry, algo)
        shape: Callable[[Transition], Transition] | None = None
        if run is not None:
            shape = lambda tr: algos.shape_entry(tr, run, market, self.paper)  # noqa: E731
        elif entry_plan.limit or entry_plan.scales:
            shape = lambda tr: shape_open(tr, entry_plan, market.qty_step)  # noqa: E731
        pos = await self.manager.open(
            sig, decision.qty, single_target=decision.single_target, trailing_pct=exits.trailing_pct,
            time_stop=timedelta(hours=float(exits.time_stop_hours)) if exits.time_stop_hours > 0 else None,
            liquidation_price=self.planner.liquidation_price(sig.side, sig.entry, sig.leverage), shape=shape)
        if pos.state is PositionState.OPEN or pos.state is PositionState.CLOSED:
            return ConfirmResult(ConfirmOutcome.OPENED, sig, position=pos)
        if pos.state is PositionState.PENDING:
            return ConfirmResult(ConfirmOutcome.SUBMITTED, sig, position=pos)
        return ConfirmResult(ConfirmOutcome.REJECTED, sig, position=pos, reason=RejectReason.INVALID_PLAN,
                             detail={"error": "exchange_rejected"})

    async def _check(self, sig: Signal, market: MarketSpec) -> Decision:
        balance = await self.broker.balance()
        await self.risk.on_equity(balance.equity)
        risk = self.settings.risk
        correlated = await find_correlated(self.market, sig.symbol, self.manager.open_positions(),
                                           risk.max_correlation, risk.correlation_days)
        return self.gate.check(GateInput(
            signal=sig, market=market, equity=balance.equity, free=balance.free,
            open_positions=self.manager.open_positions(), state=self.risk.state,
            orders_last_minute=self.manager.orders_last_minute(),
            limits=Limits(self.runtime.max_positions, self.runtime.max_leverage, self.runtime.risk_per_trade_pct),
            taker_fee=self.settings.broker.taker_fee, correlated=correlated,
            position_cap_pct=self.settings.qmt.stock_cap_pct if market.long_only else Decimal(0)))

    async def worth_raising(self, sig: Signal) -> bool:
        """Auto mode, before a scan raises ``sig``: False when the risk gate would refuse it for a reason
        already said for this symbol within the hour (engine clock) — no card, no alert, only a log line."""
        market = await (self.market.market if self.broker.paper else self.broker.market)(sig.symbol)
        decision = await self._check(sig, market)
        if decision.ok or decision.reason is None:
            return True
        said = self._refusals.get((sig.symbol, decision.reason))
        if said is not None and self.clock.now() - said < REFUSAL_QUIET:
            log.debug("auto %s: %s again, said at %s", sig.symbol, decision.reason.value, said.isoformat())
            return False
        return True

    async def cancel(self, signal_id: str, by: str) -> CancelResult:
        async with self._confirm_lock:
            sig = await self.repo.get_signal(signal_id)
            if sig is None:
                return CancelResult(False, None, RejectReason.SIGNAL_NOT_FOUND)
            if sig.status is not SignalStatus.RAISED:
                return CancelResult(False, sig, RejectReason.SIGNAL_CLOSED)
            sig = sig.with_status(SignalStatus.CANCELLED, by=by)
            await self.repo.save_signal(sig)
            await self.bus.publish(SignalCancelled(ts=self.clock.now(), paper=self.paper, signal=sig, by=by))
            return CancelResult(True, sig)

    async def auto_execute(self, signals: list[Signal]) -> None:
        for sig in signals:
            result = await self.confirm(sig.id, AUTO, None)
            log.info("auto %s %s: %s", sig.symbol, sig.side.value, result.outcome.value)

    # --- close / panic ---------------------------------------------------------------------------
    async def close(self, position_id: str, reason: CloseReason = CloseReason.MANUAL) -> CloseResult:
        pos = await self.repo.get_position(position_id)
        if pos is None:
            return CloseResult(False, None, "not_found")
        if not pos.is_open:
            return CloseResult(False, pos, "not_open")
        pos = await self.manager.close(position_id, reason)
        if pos is None or pos.is_open:
            orders = self.manager.orders_of(position_id)
            err = next((o.error for o in reversed(orders) if o.leg == Leg.CLOSE.value and o.error), None)
            return CloseResult(False, pos, err or "pending")
        return CloseResult(True, pos)

    async def panic(self, by: str) -> PanicCompleted:
        """One run at a time: a second caller while one runs gets the same result."""
        if self._panic is None or self._panic.done():
            self._panic = asyncio.ensure_future(self._run_panic(by))
        return await asyncio.shield(self._panic)

    async def _run_panic(self, by: str) -> PanicCompleted:
        await self.risk.pause(PauseReason.PANIC, by)
        items: list[PanicItem] = []
        watched = {o.client_id: o for p in self.manager.open_positions() for o in self.manager.orders_of(p.id)
                   if not o.status.is_final and o.leg != Leg.ENTRY.value}
        for pos in list(self.manager.open_positions()):
            try:
                result = await self.close(pos.id, CloseReason.PANIC)
                after = result.position
                ok = after is not None and not after.is_open
                items.append(PanicItem(kind="position", ref=pos.id, symbol=pos.symbol, ok=ok,
                                       detail="" if ok else result.detail,
                                       pnl=after.realized_pnl if after is not None else Decimal(0),
                                       margin=margin_of(pos.entry_price, pos.qty, pos.leverage)))
            except Exception as exc:  # one failure never stops the others
                log.exception("panic close of %s failed", pos.id)
                items.append(PanicItem(kind="position", ref=pos.id, symbol=pos.symbol, ok=False,
                                       detail=type(exc).__name__))
        for client_id, order in watched.items():
            current = await self.repo.get_order(client_id)
            if current is not None and not current.status.is_final:
                try:
                    await self.broker.cancel_order(client_id, order.symbol)
                    ok, detail = True, ""
                except Exception as exc:
                    ok, detail = False, getattr(exc, "code", type(exc).__name__)
            else:
                ok, detail = True, ""
            items.append(PanicItem(kind="order", ref=client_id, symbol=order.symbol, ok=ok, detail=detail))
        for venue_order in await self.broker.open_orders():
            if venue_order.client_id in watched:
                continue
            try:
                await self.broker.cancel_order(venue_order.client_id, venue_order.symbol)
                items.append(PanicItem(kind="order", ref=venue_order.client_id, symbol=venue_order.symbol, ok=True))
            except Exception as exc:
                items.append(PanicItem(kind="order", ref=venue_order.client_id, symbol=venue_order.symbol,
                                       ok=False, detail=getattr(exc, "code", type(exc).__name__)))
        event = PanicCompleted(ts=self.clock.now(), paper=self.paper, by=by, items=tuple(items))
        await self.bus.publish(event)
        return event
