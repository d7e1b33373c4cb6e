"""The engine on replayed A-share sessions through the ``qmt`` broker and the bridge server (real
HTTP, simulated trader): entries in lots inside the per-stock cap, A-share costs, T+1 (the stop is
armed from the next session), the position closed by the engine-watched stop."""

from __future__ import annotations

from decimal import Decimal

from engine.domain.events import EngineError, ScanCompleted
from engine.domain.models import CloseReason, PositionState, Side
from engine.domain.reasons import ErrorCode
from engine.domain.values import OrderAction
from engine.market.base import PriceTick
from engine.market_rules.ashare import fill_costs
from engine.market_rules.calendar import SHANGHAI
from tests.engine.qmt.bridge import running_bridge, shanghai
from tests.engine.qmt.engine_rig import STOCK, start_rig

D = Decimal


async def _long_signal(rig):
    for _ in range(200):
        sig = await rig.engine.analyse(STOCK)
        if sig is not None and sig.side is Side.LONG:
            return sig
        await rig.step()
    raise AssertionError("no long signal in the sample")


async def test_a_long_entry_in_lots_t_plus_1_and_the_watched_stop(tmp_path):
    async with running_bridge() as srv:
        rig = await start_rig(srv, f"sqlite+aiosqlite:///{tmp_path / 'live.db'}")
        try:
            errors: list[EngineError] = []
            rig.engine.bus.subscribe(EngineError, errors.append)
            sig = await _long_signal(rig)
            result = await rig.engine.confirm(sig.id, by="test")
            await rig.settle()
            pos = result.position
            assert pos is not None
            pos = await rig.engine.repository.get_position(pos.id)
            assert pos.state is PositionState.OPEN and pos.leverage == 1
            assert pos.qty % 100 == 0 and pos.qty > 0
            assert pos.qty * pos.entry_price <= D(1_000_000) * D("0.10")  # the per-stock cap (10 %)
            assert pos.fees == fill_costs(OrderAction.BUY, pos.qty, pos.entry_price)
            (view,) = await rig.engine.positions()  # the card: cannot exit yet (T+1)
            assert view.sellable_from is not None and view.sellable_from > rig.engine.clock.now()
            assert view.sellable_from.astimezone(SHANGHAI).strftime("%H:%M") == "09:30"
            (entry,) = srv.sim.orders.values()
            assert entry.order_remark == f"sp-{pos.id}-en-0" or entry.order_remark.startswith(f"sp-{pos.id}-en-")
            # the same day, the price falls through the stop: nothing can be sold (T+1)
            now = rig.engine.clock.now()
            below = pos.stop_price - D("0.05")
            srv.sim.set_price(STOCK, float(below))
            await rig.engine.on_tick(PriceTick(STOCK, below, now))
            await rig.settle()
            assert len(srv.sim.orders) == 1
            assert (await rig.engine.repository.get_position(pos.id)).state is PositionState.OPEN
            (notice,) = [e for e in errors if e.code is ErrorCode.MARKET_RULE]  # the user is told why
            assert notice.position_id == pos.id and "cannot be sold yet (T+1)" in notice.detail
            # the next trading day: the first price below the stop (the opening one here) sends it
            day = rig.day
            while rig.day == day:
                await rig.step()
            srv.sim.set_price(STOCK, float(below))
            await rig.engine.on_tick(PriceTick(STOCK, below, rig.engine.clock.now()))
            await rig.settle()
            done = await rig.engine.repository.get_position(pos.id)
            assert done.state is PositionState.CLOSED and done.close_reason is CloseReason.STOP
            sells = [o for o in srv.sim.orders.values() if o.order_type == 24]
            assert len(sells) == 1 and sells[0].traded_volume == pos.qty
            sell_fee = fill_costs(OrderAction.SELL, pos.qty, D(str(sells[0].traded_price)))
            assert done.fees == pos.fees + sell_fee  # stamp duty on the sell
        finally:
            await rig.close()


async def test_scheduled_scans_run_only_in_sessions(tmp_path):
    async with running_bridge() as srv:
        rig = await start_rig(srv, f"sqlite+aiosqlite:///{tmp_path / 'live.db'}")
        try:
            assert await rig.engine.known_symbol("600000") == await rig.engine.known_symbol("600000.sh") == STOCK
            scans: list[ScanCompleted] = []
            rig.engine.bus.subscribe(ScanCompleted, scans.append)
            day = rig.engine.clock.now().astimezone(SHANGHAI).date().isoformat()
            rig.engine.clock.set(shanghai(day, "12:00"))  # lunch break
            await rig.engine._scan_job()
            assert scans == []
            rig.engine.clock.set(shanghai(day, "13:05"))
            await rig.engine._scan_job()
            assert len(scans) == 1
        finally:
            await rig.close()
