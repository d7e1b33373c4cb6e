"""The hedge service in a running engine: one venue unreachable — the alert names it, the other leg keeps
its own protection (its resting stop still fills on its venue), and nothing is closed blindly."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from engine.brokers.errors import NetworkError
from engine.domain.hedge import HedgeAlert, HedgeEvent, LegExit, LegState
from engine.market.base import PriceTick
from engine.market.replay import ReplayMarketData
from engine.venues import build_paper_venue
from tests.engine.hedge.data import flat, write_venue


class Unreachable(ReplayMarketData):
    """Replayed prices that stop answering while ``down`` (as a venue whose API times out)."""

    down = False

    async def price(self, symbol: str) -> D | None:
        if self.down:
            raise NetworkError("timed out")
        return await super().price(symbol)


async def test_one_venue_down_the_other_leg_keeps_its_protection(engine_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    engine = await engine_factory()
    seen: list[HedgeEvent] = []

    async def record(event: HedgeEvent) -> None:
        seen.append(event)
    engine.bus.subscribe(HedgeEvent, record)
    write_venue(tmp_path, "aster", flat())
    write_venue(tmp_path, "backpack", flat())
    venues = {}
    for role, name in (("s", "aster"), ("l", "backpack")):
        market = Unreachable(tmp_path / name, engine.clock, base_timeframe="1m", symbols=["SOL/USDT"], warmup=0)
        venues[role] = build_paper_venue(name, engine.settings, engine.clock, market)
        await market.step(venues[role].broker.on_price)
    engine.hedge.venues, engine.hedge.run_tasks = venues, False
    started = await engine.hedge_start("SOL/USDT", D("25"), "test")
    assert started.code == "started", started
    venues["l"].market.down = True  # type: ignore[attr-defined]
    await engine.hedge._price_both(engine.hedge.runner)  # the monitor's pass
    down = [e for e in seen if e.kind is HedgeAlert.VENUE_DOWN]
    assert [e.venue for e in down] == ["backpack"]
    assert (await engine.hedge_status()).venues_down == ("backpack",)
    # the short leg on the reachable venue: its resting stop fills there, the round follows it
    await engine.hedge.on_price("s", PriceTick("SOL/USDT", D("102"), engine.clock.now()))
    rnd = engine.hedge.runner.round
    assert rnd.leg("s").state is LegState.CLOSED and rnd.leg("s").reason is LegExit.STOP
    assert rnd.leg("l").state is LegState.OPEN  # untouched while its venue is down: it goes on alone
    assert [p.side.value for p in await venues["l"].broker.positions()] == ["long"]
    stored = await engine.repository.pending_alerts()
    assert any(isinstance(a.event, HedgeEvent) and a.event.kind is HedgeAlert.VENUE_DOWN for a in stored)


async def test_on_replayed_candles_the_hedge_points_to_the_replay_command(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await engine_factory()  # the bundled replay: no live prices for two venues
    result = await engine.hedge_start("ETH/BTC", None, "test")
    assert result.code == "replay" and result.round is None
    assert (await engine.hedge_status()).round is None
