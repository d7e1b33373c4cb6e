"""A timeout on order creation: the order is looked up by its client id, never sent twice.

The fake holds the reply past the client's timeout (``inject(..., "timeout")``): with the
default ``apply=True`` the order DID reach the venue; with ``apply=False`` it was lost on the way.
"""

from __future__ import annotations

from engine.domain.events import EngineError, PositionOpened
from engine.domain.models import OrderStatus, PositionState
from engine.domain.reasons import ErrorCode
from engine.views import ConfirmOutcome
from tests.engine.live.harness import BTC, ETH, EventLog, audit, open_position, resting_stops


async def test_entry_timeout_whose_order_reached_the_exchange_opens_once(fake, live_engine) -> None:  # type: ignore[no-untyped-def]
    engine = await live_engine(fake, timeout_ms=1500)  # the fake holds a "timeout" 3 s
    log = EventLog(engine)
    fake.inject("POST /fapi/v1/order", "timeout")  # applied on the venue, the reply never comes in time
    pos = await open_position(engine, log, fake, BTC)
    assert ("timeout", "POST", "/fapi/v1/order") in fake.faults.fired
    entries = [o for o in fake.orders.values() if o.client_id == f"sp-{pos.id}-en-0"]
    assert len(entries) == 1 and fake.count("POST /fapi/v1/order") == 1
    assert fake.positions[("BTCUSDT", "BOTH")].amt == pos.qty * pos.side.sign
    assert len(resting_stops(fake, "BTCUSDT")) == 1
    assert (await audit(fake, engine)).ok


async def test_stop_timeout_whose_order_reached_the_exchange_rests_once(fake, live_engine) -> None:  # type: ignore[no-untyped-def]
    engine = await live_engine(fake, timeout_ms=1500)  # the fake holds a "timeout" 3 s
    log = EventLog(engine)
    fake.inject("POST /fapi/v1/algoOrder", "timeout")  # the first algo order placed is the stop
    pos = await open_position(engine, log, fake, ETH)
    (stop,) = resting_stops(fake, "ETHUSDT")
    assert stop.client_algo_id == f"sp-{pos.id}-sl-0" and fake.count("POST /fapi/v1/algoOrder") == 3
    orders = {o.client_id: o for o in engine.manager.orders_of(pos.id)}
    assert orders[f"sp-{pos.id}-sl-0"].status is OrderStatus.OPEN
    assert not [e for e in log.of(EngineError) if e.code is ErrorCode.STOP_NOT_PLACED]
    assert (await audit(fake, engine)).ok


async def test_entry_lost_on_the_way_fails_cleanly_and_places_nothing(fake, live_engine) -> None:  # type: ignore[no-untyped-def]
    engine = await live_engine(fake, timeout_ms=1500)  # the fake holds a "timeout" 3 s
    log = EventLog(engine)
    fake.inject("POST /fapi/v1/order", "timeout", apply=False)  # never reached the matching engine
    sig = await engine.analyse(BTC)
    result = await engine.confirm(sig.id, by="1")
    assert result.outcome is ConfirmOutcome.REJECTED
    assert result.position is not None and result.position.state is PositionState.FAILED
    assert fake.orders == {} and fake.algo_orders == {} and fake.positions == {}
    assert fake.count("POST /fapi/v1/order") == 1  # looked up by client id, not re-sent
    assert not log.of(PositionOpened)
    assert [e.code for e in log.of(EngineError)] == [ErrorCode.NETWORK]  # lost on the way, not refused
    assert (await audit(fake, engine)).ok
