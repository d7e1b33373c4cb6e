"""The paper venue's matching: a request validated and accepted (filled at once, resting, or refused
as Binance refuses it), a resting order triggered by a price, a fill executed (fees or a market's
statutory costs, funds checked, reduce-only orders capped to the position), an isolated position
liquidated, and the cancels that follow. Arithmetic and rounding rules: ``engine.brokers.paper_ledger``.
A part of ``engine.brokers.paper.PaperBroker``, kept apart from the account and its persistence."""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from engine.brokers import paper_ledger as L
from engine.brokers.errors import InsufficientFunds, WouldTriggerImmediately
from engine.brokers.paper_checks import validate
from engine.brokers.paper_state import PaperOrder, PaperState
from engine.domain.models import Fill, MarketSpec, OrderRequest, OrderStatus, OrderType
from engine.domain.values import ZERO, OrderAction

if TYPE_CHECKING:
    from config.settings import BrokerSettings
    from engine.clock import Clock

# (symbol, action, qty, price) → the fill's costs, or None for the fee rates
Costs = Callable[[str, OrderAction, Decimal, Decimal], Decimal | None]

log = logging.getLogger("engine.brokers.paper")
_LOG = {"component": "paper"}


class PaperMatching:
    """Orders accepted, matched and filled; ``PaperBroker`` mixes this in."""

    currency: str
    _costs: Costs | None
    _settings: BrokerSettings
    _clock: Clock
    _slip: Decimal
    _mm: Decimal
    _state: PaperState
    _marks: dict[str, Decimal]
    _fills: list[Fill]

    if TYPE_CHECKING:  # the broker's own (engine.brokers.paper)
        async def _spec(self, symbol: str) -> MarketSpec: ...

    async def _match(self, order: PaperOrder, price: Decimal) -> Fill | None:
        if order.type is OrderType.STOP_MARKET:
            assert order.trigger_price is not None
            if not L.stop_triggered(order.action, order.trigger_price, price):
                return None
            spec = await self._spec(order.symbol)
            fill_price = L.stop_fill_price(order, price, self._slip, spec.price_step)
            return self._execute(order, fill_price, maker=False, check_funds=False)
        level = order.level
        assert level is not None
        if not L.limit_crossed(order.action, level, price):
            return None
        return self._execute(order, level, maker=True, check_funds=False)

    async def _accept(self, req: OrderRequest) -> tuple[PaperOrder, Fill | None]:
        """Validate and place one request; returns the order and its immediate fill, if any."""
        spec = await self._spec(req.symbol)
        state, mark = self._state, self._marks.get(req.symbol)
        pos = state.positions.get(req.symbol)
        leverage = state.leverage.get(req.symbol, req.leverage)
        reference = validate(req, spec, reduces=L.reduces(pos, req.action), leverage=leverage, mark=mark, mm=self._mm)
        order = PaperOrder(seq=state.order_seq + 1, client_id=req.client_id, symbol=req.symbol,
                           action=req.action, type=req.type, qty=req.qty, created_at=self._clock.now(),
                           price=req.price, trigger_price=req.trigger_price, reduce_only=req.reduce_only,
                           leverage=leverage)
        fill: Fill | None = None
        if req.type is OrderType.MARKET:
            assert mark is not None
            fill = self._execute(order, L.slipped(mark, req.action, self._slip, spec.price_step), maker=False)
        elif req.type is OrderType.STOP_MARKET:
            if mark is not None and L.stop_triggered(req.action, reference, mark):
                raise WouldTriggerImmediately(f"stop {reference} would trigger immediately at price {mark}",
                                              venue_code="-2021")
            self._rest(order)
        elif req.type is OrderType.TAKE_PROFIT and mark is not None and L.limit_crossed(req.action, reference, mark):
            # as Binance refuses a TAKE_PROFIT_MARKET whose trigger is crossed: the engine takes it at market
            raise WouldTriggerImmediately(f"take-profit {reference} would trigger immediately at price {mark}",
                                          venue_code="-2021")
        elif mark is not None and L.limit_crossed(req.action, reference, mark):
            fill = self._execute(order, L.marketable_price(req.action, reference, mark, spec.price_step),
                                 maker=False)
        else:
            if not req.reduce_only:  # hold margin for what the order would open, as the venue does
                opening = L.split_fill(pos, req.action, req.qty)[1]
                order.reserved = L.margin_for(reference * opening, L.opening_leverage(pos, req.action, leverage))
                needed = order.reserved + L.fee_for(reference * req.qty, self._settings.maker_fee)
                free = L.raw_free(state, self._marks)
                if opening > 0 and free < needed:
                    raise self._insufficient(needed, free)
            self._rest(order)
        state.order_seq = order.seq
        state.changed_account()
        return order, fill

    def _rest(self, order: PaperOrder) -> None:
        self._state.rest(order)

    def _execute(self, order: PaperOrder, price: Decimal, *, maker: bool, check_funds: bool = True) -> Fill | None:
        """Fill ``order`` completely (a reduce-only one up to the position) at ``price``."""
        state = self._state
        pos = state.positions.get(order.symbol)
        qty = order.qty
        if order.reduce_only:
            if pos is None or not L.reduces(pos, order.action):
                self._cancel(order, "nothing left to reduce")
                return None
            qty = min(qty, pos.qty)
        fee = L.fee_for(qty * price, self._settings.maker_fee if maker else self._settings.taker_fee)
        if self._costs is not None and (cost := self._costs(order.symbol, order.action, qty, price)) is not None:
            fee = cost
        if check_funds and not order.reduce_only:
            needed, available = L.shortfall(state, self._marks, order.symbol, order.action, qty, price, fee,
                                            order.leverage, skip_order=order.client_id)
            if available < needed:
                raise self._insufficient(needed, available)
        order.reserved = ZERO
        leverage = L.opening_leverage(pos, order.action, order.leverage)
        realized = L.apply_fill(state, order.symbol, order.action, qty, price, fee, leverage)
        L.refresh(state, order.symbol, self._marks.get(order.symbol))
        return self._record_fill(order, qty, price, fee, maker, realized)

    def _liquidate(self, symbol: str) -> Fill:
        """Close an isolated position at its liquidation price; the wallet loses exactly its margin."""
        state = self._state
        pos = state.positions[symbol]
        for order in state.open_orders(symbol):  # the venue cancels the symbol's orders first
            self._cancel(order, "liquidation")
        price = L.liquidation_price(pos, self._mm)
        gross = L.pnl(pos, price, pos.qty)
        fee = max(ZERO, pos.margin + gross)  # clearance fee: what the margin had left at liquidation
        state.liq_seq += 1
        order = PaperOrder(seq=state.order_seq + 1, client_id=f"liq-{symbol}-{state.liq_seq}", symbol=symbol,
                           action=pos.side.exit_action, type=OrderType.MARKET, qty=pos.qty,
                           created_at=self._clock.now(), reduce_only=True, leverage=pos.leverage)
        state.order_seq = order.seq
        log.warning("paper liquidated %s %s %s entry %s at %s, margin %s lost", symbol, pos.side.value, pos.qty,
                    pos.entry, price, pos.margin, extra=_LOG)
        qty = pos.qty
        realized = L.apply_fill(state, symbol, order.action, qty, price, fee, pos.leverage)
        L.refresh(state, symbol, self._marks.get(symbol))
        fill = self._record_fill(order, qty, price, fee, False, realized)
        assert fill is not None
        return fill

    def _record_fill(self, order: PaperOrder, qty: Decimal, price: Decimal, fee: Decimal, maker: bool,
                     realized: Decimal) -> Fill:
        state = self._state
        state.trade_seq += 1
        now = self._clock.now()
        fill = Fill(trade_id=f"p{state.trade_seq}", client_id=order.client_id, symbol=order.symbol,
                    action=order.action, qty=qty, price=price, fee=fee, ts=now, is_maker=maker)
        order.status, order.filled_qty, order.avg_price, order.fee = OrderStatus.FILLED, qty, price, fee
        order.updated_at = now
        state.finish(order, fill)
        self._fills.append(fill)
        log.info("paper fill %s %s %s %s @ %s fee %s realized %s (%s) wallet %s", fill.trade_id,
                 order.client_id, order.action.value, qty, price, fee, realized,
                 "maker" if maker else "taker", state.wallet, extra=_LOG)
        for other in state.open_orders(order.symbol):  # reduce-only orders never outlive what they reduce
            if other.reduce_only and not L.reduces(state.positions.get(order.symbol), other.action):
                self._cancel(other, "position closed")
        return fill

    def _cancel(self, order: PaperOrder, why: str) -> None:
        order.status, order.reserved, order.updated_at = OrderStatus.CANCELLED, ZERO, self._clock.now()
        if order.client_id in self._state.orders:  # (a request refused before it rested is not recorded)
            self._state.finish(order)
        log.info("paper cancelled %s %s (%s)", order.client_id, order.symbol, why, extra=_LOG)

    def _insufficient(self, needed: Decimal, available: Decimal) -> InsufficientFunds:
        return InsufficientFunds(f"margin is insufficient: needs {needed} {self.currency} (margin + fee), "
                                 f"{max(available, ZERO)} {self.currency} free", venue_code="-2019")
