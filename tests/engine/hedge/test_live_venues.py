"""A hedge round on two exchanges through the real ccxt clients: the short on Binance USDⓈ-M (the fake
Binance; its stop rests there as an algo order) and the long on Backpack (the fake Backpack, ED25519;
no resting stop there, numeric client ids). Each venue has its own broker, market data and account."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal as D

import pytest

from config.settings import ExchangeSettings
from engine.brokers.ccxt import build_broker, build_live_market
from engine.brokers.ccxt.venues.backpack import numeric_client_id
from engine.clock import LiveClock
from engine.domain.hedge import HedgeAlert, LegExit, LegState, RoundState
from engine.hedge.round import HedgeRunner
from engine.hedge.rules import Rules
from engine.hedge.store import MemoryHedgeStore
from engine.venues import VenueHandle
from tests.fakes.backpack import FakeBackpack
from tests.fakes.binance import FakeBinance

SYMBOLS = {"s": "ETH/USDT:USDT", "l": "ETH/USDC:USDC"}


@pytest.fixture
async def venues() -> AsyncIterator[tuple[FakeBinance, FakeBackpack, dict[str, VenueHandle]]]:
    async with FakeBinance() as binance, FakeBackpack() as backpack:
        binance.set_price("ETHUSDT", "3000")
        clock = LiveClock()
        handles = {}
        for role, settings in (
                ("s", ExchangeSettings(name="binanceusdm", api_key="fake-api-key", api_secret="fake-secret",
                                       base_url=binance.http_base)),
                ("l", ExchangeSettings(name="backpack", api_key=backpack.api_key, api_secret=backpack.secret,
                                       base_url=backpack.http_base))):
            broker = build_broker(settings, clock, streams=False, rate_limit=False)
            market = build_live_market(settings, clock, rate_limit=False)
            await broker.start()
            handles[role] = VenueHandle(settings.name, broker, market,
                                        resting_stops=broker.venue.resting_stops)
        try:
            yield binance, backpack, handles
        finally:
            for h in handles.values():
                await h.broker.close()
                await h.market.close()


async def test_a_round_across_binance_and_backpack(venues) -> None:  # type: ignore[no-untyped-def]
    binance, backpack, handles = venues
    store = MemoryHedgeStore()
    runner = HedgeRunner(store, LiveClock(), handles["s"], handles["l"], Rules(D("0.8"), D("1.2")))
    rnd = await runner.open("ETH/USDT", D("100"), SYMBOLS)
    assert rnd.state is RoundState.OPEN and rnd.qty == D("0.03")  # Backpack's 0.01 step is the coarser
    short, long = rnd.legs
    assert (short.venue, short.entry, long.venue, long.entry) == ("binanceusdm", D("3000"), "backpack", D("3000"))
    assert short.stop_resting and len(binance.algo_orders) == 1  # the short's stop rests on Binance
    assert not long.stop_resting and long.stop_price == D("2976.00")  # Backpack: the engine watches it
    backpack_orders = list(backpack.book.orders.values())
    assert [o.client_id for o in backpack_orders] == [numeric_client_id(f"hg-{rnd.id}-len-1")]

    binance.set_price("ETHUSDT", "3030")  # +1 %: the short's stop fires on Binance
    backpack.set_price("ETH_USDC_PERP", "3030")
    await runner.on_price("s", D("3030"))
    await runner.on_price("l", D("3030"))
    rnd = runner.round
    assert rnd is not None and rnd.leg("s").reason is LegExit.STOP and rnd.leg("l").is_open

    backpack.set_price("ETH_USDC_PERP", "3040")  # +1.33 %: a reduce-only limit at +1.2 % on Backpack
    await runner.on_price("l", D("3040"))
    rnd = runner.round
    assert rnd is not None and rnd.state is RoundState.DONE
    assert rnd.leg("l").state is LegState.CLOSED and rnd.leg("l").reason is LegExit.TAKE_PROFIT
    assert rnd.leg("l").tp_price == D("3036.00") and rnd.leg("l").exit is not None and rnd.leg("l").exit >= D("3036")
    assert await handles["s"].broker.positions() == [] and await handles["l"].broker.positions() == []
    assert [e.kind for e in store.events] == [HedgeAlert.OPENED, HedgeAlert.LEG_STOPPED, HedgeAlert.LIMIT_PLACED,
                                              HedgeAlert.LIMIT_FILLED, HedgeAlert.ENDED]
    assert rnd.pnl == rnd.leg("s").pnl + rnd.leg("l").pnl and rnd.leg("l").fees > 0


async def test_an_entry_refused_on_backpack_unwinds_the_binance_leg(venues) -> None:  # type: ignore[no-untyped-def]
    binance, backpack, handles = venues
    backpack.book.refuse = "INSUFFICIENT_MARGIN"  # Backpack refuses the long
    store = MemoryHedgeStore()
    runner = HedgeRunner(store, LiveClock(), handles["s"], handles["l"], Rules(D("0.8"), D("1.2")))
    rnd = await runner.open("ETH/USDT", D("100"), {"s": SYMBOLS["s"], "l": SYMBOLS["l"]})
    assert rnd.state is RoundState.DONE
    assert rnd.leg("l").state is LegState.FAILED and rnd.leg("s").reason is LegExit.UNWIND
    assert await handles["s"].broker.positions() == [] and await handles["l"].broker.positions() == []
    assert binance.algo_orders == {} or all(a.status != "NEW" for a in binance.algo_orders.values())
    assert [e.kind for e in store.events] == [HedgeAlert.UNWOUND, HedgeAlert.ENDED]
    assert store.events[0].venue == "binanceusdm"
