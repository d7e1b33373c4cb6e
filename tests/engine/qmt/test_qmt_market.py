"""Live A-share quotes through the bridge (``get_full_tick``): ticks, candles folded from them,
history seeded from replay files."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from engine.brokers.qmt.client import QmtClient
from engine.brokers.qmt.market import QmtMarketData
from engine.clock import ManualClock
from tests.engine.qmt.bridge import TOKEN, running_bridge, shanghai
from tests.engine.qmt.engine_rig import DATA


async def test_quotes_become_ticks_and_candles_after_the_history_of_the_files():
    async with running_bridge() as srv:
        clock = ManualClock(shanghai("2026-12-02", "10:00"))
        market = QmtMarketData(QmtClient(srv.url, TOKEN), clock, ["600000.SH", "000001.SZ"], history_dir=DATA)
        history = await market.candles("600000.SH", "5m", 1000)
        assert len(history) == 480  # the sample's ten days
        assert (await market.market("600000.SH")).qty_step == 100
        ticks = []

        async def on_tick(tick):
            ticks.append(tick)

        srv.sim.set_price("600000.SH", 10.20)
        assert await market.poll(on_tick) == 1  # 000001.SZ has no quote: no tick
        clock.set(clock.now() + timedelta(minutes=2))
        srv.sim.set_price("600000.SH", 10.30)
        await market.poll(on_tick)
        assert [t.price for t in ticks] == [Decimal("10.20"), Decimal("10.30")]
        assert await market.price("600000.SH") == Decimal("10.30")
        assert len(await market.candles("600000.SH", "5m", 1000)) == 480  # the 10:00 bar is still open
        clock.set(shanghai("2026-12-02", "10:05"))
        candles = await market.candles("600000.SH", "5m", 1000)
        assert len(candles) == 481 and candles.high[-1] == 10.30 and candles.close[-1] == 10.30
        await market.close()
