"""The QMT broker's stops and targets: QMT holds no conditional orders, so the engine does. A
stop or take-profit request is armed (``triggers.TriggerBook``, persisted); a quote that crosses it
in a session fires it as a marketable limit order (persisted as fired first, so one whose answer
was lost is looked up by ``order_remark`` and resent only if QMT never got it); an exit that must
wait (T+1, limit-down) is told to the user through ``notices``. A part of
``engine.brokers.qmt.broker.QmtBroker``, kept apart from its orders and account."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from engine.brokers.errors import BrokerError, UnknownOutcome
from engine.brokers.qmt.triggers import Trigger, TriggerBook, trigger_of
from engine.domain.models import OrderRequest, VenueOrder
from engine.domain.values import OrderAction
from engine.market.base import PriceTick
from engine.qmt import protocol as p

if TYPE_CHECKING:
    from engine.clock import Clock
    from engine.market_rules.ashare import AShareRules

log = logging.getLogger("engine.brokers.qmt")

Notice = Callable[[str, str], Awaitable[None]]  # (client id, text)


class TriggerFiring:
    """Conditional orders held and fired by the engine; ``QmtBroker`` mixes this in."""

    clock: Clock
    rules: AShareRules
    triggers: TriggerBook
    notices: Notice | None
    _marks: dict[str, Decimal]
    _firing: set[str]

    if TYPE_CHECKING:  # the broker's own (engine.brokers.qmt.broker)
        async def _venue_order(self, client_id: str) -> VenueOrder | None: ...
        async def _sellable(self, symbol: str) -> Decimal: ...
        async def band(self, symbol: str) -> tuple[Decimal, Decimal] | None: ...
        async def _send(self, client_id: str, symbol: str, action: OrderAction, qty: Decimal, price_type: int,
                        price: Decimal) -> VenueOrder: ...

    # --- requests: armed, not sent ---------------------------------------------------------------------
    async def _arm(self, request: OrderRequest) -> VenueOrder:
        known = self.triggers.items.get(request.client_id)
        if known is None or known.status == "cancelled":
            known = trigger_of(request)
            self.triggers.items[known.client_id] = known
            await self.triggers.save()
        return known.as_venue_order()

    # --- prices: the engine watches stops and targets ------------------------------------------------
    async def on_price(self, tick: PriceTick) -> None:
        self._marks[tick.symbol] = tick.price
        for trig in list(self.triggers.items.values()):
            if trig.symbol != tick.symbol or trig.client_id in self._firing:
                continue
            due = trig.status == "armed" and trig.crossed(tick.price)
            resend = False
            if trig.status == "fired":  # persisted as sent, then the process died or the answer was lost
                resend = await self._venue_order(trig.client_id) is None
                if not resend:
                    await self._forget(trig)
            if due or resend:
                self._firing.add(trig.client_id)
                try:
                    await self._fire(trig, tick.price)
                finally:
                    self._firing.discard(trig.client_id)

    async def _fire(self, trig: Trigger, price: Decimal) -> None:
        if not self.rules.is_open(self.clock.now()):
            return  # waits for the session; the next quote in it decides
        action = OrderAction(trig.action)
        qty = Decimal(trig.qty)
        if action is OrderAction.SELL:
            usable = await self._sellable(trig.symbol)
            if usable <= 0:
                if trig.note != "t+1":
                    trig.note = "t+1"
                    await self._notice(trig.client_id, f"{trig.symbol}: the price crossed {trig.trigger} but the "
                                                       f"shares cannot be sold yet (T+1): the order goes out from "
                                                       f"the next session")
                return
            qty = self.rules.sell_qty(min(qty, usable), usable)
        band = await self.band(trig.symbol)
        limit = self.rules.marketable_price(action, price, band)
        if action is OrderAction.SELL and band is not None and price <= band[0]:
            await self._notice(trig.client_id, f"{trig.symbol} is at its limit-down {band[0]}: the sell may not "
                                               f"fill; it is sent once at {limit} and not retried")
        trig.status, trig.note = "fired", ""
        await self.triggers.save()  # persisted before the order goes out
        try:
            await self._send(trig.client_id, trig.symbol, action, qty, p.FIX_PRICE, limit)
            await self._forget(trig)  # QMT has it under its order_remark from now on
        except UnknownOutcome:
            log.warning("%s: answer lost; looked up by order_remark on the next quote", trig.client_id)
        except BrokerError as exc:
            if exc.venue_code == str(p.ORDER_JUNK):  # QMT has it, rejected: the position's owner decides
                await self._forget(trig)
                await self._notice(trig.client_id, f"QMT rejected the exit {trig.client_id}: {exc}")
                return
            log.warning("%s could not be sent (%s); still armed", trig.client_id, exc)
            trig.status = "armed"
            await self.triggers.save()

    async def _forget(self, trig: Trigger) -> None:
        self.triggers.items.pop(trig.client_id, None)
        await self.triggers.save()

    async def _notice(self, client_id: str, text: str) -> None:
        log.warning("%s (%s)", text, client_id)
        if self.notices is not None:
            await self.notices(client_id, text)
