"""Managing an open trade from a front end: partial close, stop and target moves, breakeven now,
additions. A part of the façade (``engine.facade.Engine``), kept apart by purpose.

Every method first answers with a preview (``confirm=False``: checked, nothing sent) so the front
end can ask for a second tap; ``confirm=True`` acts. A looser stop also needs ``loosen=True``, which
a front end passes only from an admin's explicit second tap on a warning. The transitions are in
``engine.positions.adjust``; an addition passes the risk gate (``engine.risk.add_gate``) first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from engine.domain.algos import AlgoKind
from engine.domain.models import Order, OrderType, Position
from engine.domain.reasons import AdjustReason, RejectReason
from engine.execution import algos
from engine.positions import adjust
from engine.positions.lifecycle import Context, Transition
from engine.risk.add_gate import AddInput, check_add

if TYPE_CHECKING:
    from engine.clock import Clock
    from engine.wiring import Components

Build = Callable[[Position, list[Order], Context], adjust.Result]


@dataclass(frozen=True)
class AdjustResult:
    """``ok`` with ``done`` False: a preview that passed; ``done``: sent (``position`` is after it)."""

    ok: bool
    position: Position | None
    reason: AdjustReason | None = None
    risk_reason: RejectReason | None = None  # an addition the risk gate refused
    detail: dict[str, str] = field(default_factory=dict)
    done: bool = False
    qty: Decimal | None = None  # what the order is for (partial close, addition)
    price: Decimal | None = None  # the stop or target price, rounded to the tick
    loosened: bool = False


class PositionControl:
    _c: Components
    clock: Clock

    async def close_part(self, position_id: str, *, by: str, pct: Decimal | None = None, qty: Decimal | None = None,
                         confirm: bool = False) -> AdjustResult:
        """``pct`` % of what remains, or ``qty``; all of it when the rest would be below the minimum."""
        now = self.clock.now()

        def build(p: Position, o: list[Order], c: Context) -> adjust.Result:
            amount = adjust.qty_of_share(p, pct, c.market.qty_step) if pct is not None else qty or Decimal(0)
            if pct is not None and not Decimal(0) < pct <= Decimal(100):
                return adjust.Refusal(AdjustReason.BAD_AMOUNT)
            return adjust.reduce(p, o, amount, now, c)

        return await self._run(position_id, build, confirm)

    async def close_by_algo(self, position_id: str, *, by: str, algo: str = algos.TWAP, pct: Decimal | None = None,
                            qty: Decimal | None = None, confirm: bool = False) -> AdjustResult:
        """Close ``pct`` % of what remains, or ``qty`` (neither: all of it) as a TWAP or an iceberg (``algo``:
        ``twap`` or ``iceberg``; reduce-only slices shaped by SP_RISK__TWAP_* / SP_RISK__ICEBERG_*). The
        result's ``qty``: the run's total."""
        if algo not in tuple(AlgoKind) or (pct is not None and not Decimal(0) < pct <= Decimal(100)):
            return AdjustResult(False, None, AdjustReason.BAD_AMOUNT)
        mark = await self._mark(position_id)
        if mark is None:
            return AdjustResult(False, None, AdjustReason.NO_PRICE)
        plan = algos.plan_of(self._c.settings.risk, AlgoKind(algo))
        now = self.clock.now()

        def build(p: Position, o: list[Order], c: Context) -> adjust.Result:
            amount = adjust.qty_of_share(p, pct, c.market.qty_step) if pct is not None else qty
            return algos.start_exit(p, o, self._c.manager.algos_of(p.id), plan, amount, mark, now, c)

        return await self._run(position_id, build, confirm)

    async def move_stop(self, position_id: str, price: Decimal, *, by: str, loosen: bool = False,
                        confirm: bool = False) -> AdjustResult:
        mark = await self._mark(position_id)
        if mark is None:
            return AdjustResult(False, None, AdjustReason.NO_PRICE)
        now = self.clock.now()
        return await self._run(position_id, lambda p, o, c: adjust.move_stop(p, o, price, mark, now, c, by=by,
                                                                             allow_loosen=loosen), confirm)

    async def stop_to_breakeven(self, position_id: str, *, by: str, confirm: bool = False) -> AdjustResult:
        mark = await self._mark(position_id)
        if mark is None:
            return AdjustResult(False, None, AdjustReason.NO_PRICE)
        now = self.clock.now()
        return await self._run(position_id, lambda p, o, c: adjust.to_breakeven(p, o, mark, now, c, by=by), confirm)

    async def move_target(self, position_id: str, n: int, price: Decimal, *, by: str,
                          confirm: bool = False) -> AdjustResult:
        mark = await self._mark(position_id)
        if mark is None:
            return AdjustResult(False, None, AdjustReason.NO_PRICE)
        now = self.clock.now()
        return await self._run(position_id, lambda p, o, c: adjust.move_target(p, o, n, price, mark, now, c, by=by),
                               confirm)

    async def add_to_position(self, position_id: str, qty: Decimal, *, by: str, confirm: bool = False) -> AdjustResult:
        """Add ``qty`` at market, after the risk gate; the breakeven price is re-planned on the fill."""
        pos = await self._c.repo.get_position(position_id)
        if pos is None:
            return AdjustResult(False, None, AdjustReason.NOT_FOUND)
        mark = await self._c.trading.price(pos.symbol)
        if mark is None:
            return AdjustResult(False, pos, AdjustReason.NO_PRICE)
        market = await (self._c.market.market if self._c.broker.paper else self._c.broker.market)(pos.symbol)
        balance = await self._c.broker.balance()
        await self._c.risk.on_equity(balance.equity)
        refused = check_add(self._c.settings.risk, AddInput(
            position=pos, qty=qty, price=mark, market=market, equity=balance.equity, free=balance.free,
            open_positions=self._c.manager.open_positions(), state=self._c.risk.state,
            orders_last_minute=self._c.manager.orders_last_minute(), taker_fee=self._c.settings.broker.taker_fee))
        if refused is not None and qty > 0:
            return AdjustResult(False, pos, AdjustReason.RISK, risk_reason=refused[0], detail=refused[1])
        now = self.clock.now()
        return await self._run(position_id, lambda p, o, c: adjust.add(p, o, qty, now, c), confirm)

    # --- internals ---------------------------------------------------------------------------------
    async def _mark(self, position_id: str) -> Decimal | None:
        pos = await self._c.repo.get_position(position_id)
        return await self._c.trading.price(pos.symbol) if pos is not None else None

    async def _run(self, position_id: str, build: Build, confirm: bool) -> AdjustResult:
        result, pos = await self._c.manager.adjust(position_id, build, dry_run=not confirm)
        if result is None:
            known = await self._c.repo.get_position(position_id)
            return AdjustResult(False, known, AdjustReason.NOT_FOUND if known is None else AdjustReason.NOT_OPEN)
        if isinstance(result, adjust.Refusal):
            return AdjustResult(False, pos, result.reason, detail=dict(result.detail))
        assert isinstance(result, Transition)
        return _summary(result, pos, confirm)


def _summary(tr: Transition, pos: Position | None, done: bool) -> AdjustResult:
    """What the transition does, in numbers a front end can show."""
    before = tr.position
    order = tr.orders[0] if tr.orders else None
    qty = order.qty if order is not None and order.type is OrderType.MARKET else None
    if tr.algos:
        qty = tr.algos[0].total  # an exit run: all its slices
    price = None
    loosened = False
    for ev in tr.events:
        new_stop = getattr(ev, "new_stop", None)
        new_price = getattr(ev, "new_price", None)
        price = new_stop if new_stop is not None else new_price if new_price is not None else price
        loosened = loosened or bool(getattr(ev, "loosened", False))
    return AdjustResult(True, pos if pos is not None else before, done=done, qty=qty, price=price, loosened=loosened)
