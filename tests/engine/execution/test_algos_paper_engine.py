"""The paper engine (wiring, façade, paper venue saved in the database) with every entry executed as a
TWAP: stopped half-way and started again on the same database, the run goes on where it was — each
slice client id once on the venue, the whole planned quantity held, one stop covering it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from engine.domain.algos import AlgoStatus
from engine.domain.events import AlgoProgressed, Event
from engine.domain.models import Leg, OrderStatus, OrderType
from engine.market.base import PriceTick

TWAP = {"risk": {"algo_above_notional": "0.00000001", "twap_minutes": 5, "twap_slices": 5}}


async def _tick(engine, price: Decimal, minutes: int = 1) -> None:  # type: ignore[no-untyped-def]
    engine.clock.set(engine.clock.now() + timedelta(minutes=minutes))
    await engine.on_tick(PriceTick("ETH/BTC", price, engine.clock.now()))


async def test_paper_twap_survives_a_restart_half_way(engine_factory, db_url_factory) -> None:  # type: ignore[no-untyped-def]
    url = db_url_factory()
    first = await engine_factory(url, **TWAP)
    await first.step_market(1)
    sig = await first.analyse("ETH/BTC")
    opened = (await first.confirm(sig.id, by="1")).position
    assert opened is not None
    pid = opened.id
    await _tick(first, sig.entry)  # slice 1
    await _tick(first, sig.entry)  # slice 2
    (run,) = first.manager.algos_of(pid)
    assert run.sent == 3
    await first.stop()

    second = await engine_factory(url, **TWAP)
    told: list[Event] = []
    second.bus.subscribe(AlgoProgressed, told.append)
    [view] = await second.positions()  # /positions lists the run still going under its position
    [running] = view.running
    assert (running.kind, running.entry, running.done, running.slices) == ("twap", True, 3, 5)
    assert running.avg_price is not None
    for _ in range(4):
        await _tick(second, sig.entry)
    (stored,) = (await second.repository.algos_for_positions([pid]))[pid]
    assert (stored.status, stored.sent) == (AlgoStatus.DONE, 5)
    orders = await second.repository.orders_for(pid)
    slices = [o.client_id for o in orders if o.leg == Leg.TWAP_ENTRY.value]
    assert slices == [f"sp-{pid}-te-0-{i}" for i in range(5)]
    assert all(o.status is OrderStatus.FILLED for o in orders if o.leg == Leg.TWAP_ENTRY.value)
    pos = second.manager.position(pid)
    assert pos is not None and pos.remaining == pos.qty == stored.total
    fills = await second.repository.fills_for(pid)
    assert sum((f.qty for f in fills), Decimal(0)) == stored.total and len({f.trade_id for f in fills}) == 5
    stops = [o for o in await second.broker.open_orders() if o.type is OrderType.STOP_MARKET]
    assert len(stops) == 1 and stops[0].qty == pos.remaining
    assert [e.status for e in told][-1] == "done"  # type: ignore[attr-defined]
    assert [v.running for v in await second.positions()] == [()]  # done: no longer listed as running
