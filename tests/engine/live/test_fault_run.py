"""20 % of the exchange's REST answers are faults (5xx, 429, timeouts applied but unanswered) over a
long run of lifecycles on two symbols; at the end the database and the exchange agree.

The engine opens a position whenever a symbol is flat; ``VenueDriver`` moves the fake's prices to
the targets and stops resting there; the reconciliation job runs every second (the scheduler's
every-few-minutes, compressed). Then the faults stop, the open positions play out, one more
reconciliation, and ``audit`` must find nothing: no client id used twice, no position without
a stop, every fill of ours recorded, the same positions on both sides.
SP_TEST_FAULT_ROUNDS sets how many positions to open (default 8).
"""

from __future__ import annotations

import asyncio
import os
import random

from engine.brokers.errors import BrokerError
from engine.domain.models import PositionState
from tests.engine.live.harness import BTC, ETH, VENUE_ID, EventLog, audit
from tests.engine.live.venue_driver import VenueDriver
from tests.fakes.binance import FakeBinance

ROUNDS = int(os.environ.get("SP_TEST_FAULT_ROUNDS", "8"))


async def _try(coro):  # type: ignore[no-untyped-def]
    """What a caller of the engine sees under faults: an answer, or a BrokerError to report."""
    try:
        return await coro
    except BrokerError:
        return None


async def test_twenty_percent_faults_over_a_long_run_end_with_database_and_exchange_agreeing(live_engine) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    async with FakeBinance(seed=20, timeout_hold=1.0) as fake:
        engine = await live_engine(fake, timeout_ms=500)
        log = EventLog(engine)
        driver = VenueDriver(fake, [VENUE_ID[BTC], VENUE_ID[ETH]], random.Random(5), patience=60)
        fake.fault_retry_after = 1  # a 429 says "retry in 1 s" (Binance says up to minutes; the bot honours it)
        fake.fault_rate = 0.2
        opened: list[str] = []
        attempts = 0
        last_reconcile = loop.time()
        deadline = loop.time() + 30 + 6 * ROUNDS
        while len(opened) < ROUNDS and loop.time() < deadline:
            busy = {p.symbol for p in engine.c.manager.open_positions()}
            for symbol in (BTC, ETH):
                if symbol in busy or (VENUE_ID[symbol], "BOTH") in fake.positions or len(opened) >= ROUNDS:
                    continue
                sig = await _try(engine.analyse(symbol))
                if sig is None:
                    continue
                attempts += 1
                result = await _try(engine.confirm(sig.id, by="1"))
                if result is not None and result.position is not None:
                    opened.append(result.position.id)
            driver.step()
            if loop.time() - last_reconcile >= 1.0:
                await _try(engine._reconcile_job())
                last_reconcile = loop.time()
            await asyncio.sleep(0.05)
        fired = len(fake.faults.fired)
        fake.fault_rate = 0.0

        # the faults stop: what is open plays out, then the periodic reconciliation has its say
        settle = loop.time() + 30
        while loop.time() < settle and (fake.positions or engine.c.manager.open_positions()):
            driver.step()
            if loop.time() - last_reconcile >= 1.0:
                await engine._reconcile_job()
                last_reconcile = loop.time()
            await asyncio.sleep(0.05)
        await engine._reconcile_job()
        report = await audit(fake, engine)

        requests = len(fake.requests)
        print(f"fault run: {len(opened)} positions opened of {attempts} confirmed, {requests} requests, "
              f"{fired} faults ({fired / max(requests, 1):.0%}), {report.orders} client ids, {report.trades} fills, "
              f"moves {len(driver.moves)}")
        assert len(opened) == ROUNDS, f"only {len(opened)} positions opened before the deadline"
        assert fired >= 0.1 * requests * 0.5  # the faults really happened
        assert report.ok, report
        assert fake.positions == {} and engine.c.manager.open_positions() == []
        for pid in opened:
            pos = await engine.get_position(pid)
            assert pos.state in (PositionState.CLOSED, PositionState.FAILED), pos
            if pos.state is PositionState.CLOSED:
                assert sum(e.qty for e in pos.exits) == pos.qty, pos
        assert len(log.events) > 0
