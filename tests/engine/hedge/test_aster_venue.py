"""A hedge round across Aster and Backpack through the real ccxt clients, the issue's default venues:
the short on Aster (the fake Binance answering Aster's v3 API, each private request signed with
EIP-712 by the API wallet's key and checked by the fake) and the long on Backpack (the fake Backpack)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from decimal import Decimal as D

import pytest

from config.settings import ExchangeSettings, Settings
from engine.brokers.ccxt import build_broker, build_live_market
from engine.brokers.errors import AuthError
from engine.clock import LiveClock
from engine.domain.hedge import HedgeAlert, LegExit, LegState, RoundState
from engine.hedge.round import HedgeRunner
from engine.hedge.rules import Rules
from engine.hedge.store import MemoryHedgeStore
from engine.venues import VenueHandle, exchange_settings
from tests.fakes.backpack import FakeBackpack
from tests.fakes.binance import FakeBinance
from tests.fakes.binance.aster import TEST_SIGNER_KEY, TEST_USER, address_of

SYMBOLS = {"s": "ETH/USDT:USDT", "l": "ETH/USDC:USDC"}


def aster_settings(fake: FakeBinance, key: str = TEST_SIGNER_KEY) -> ExchangeSettings:
    return ExchangeSettings(name="aster", private_key=key, wallet=TEST_USER, base_url=fake.http_base)


@pytest.fixture
async def venues() -> AsyncIterator[tuple[FakeBinance, FakeBackpack, dict[str, VenueHandle]]]:
    async with FakeBinance() as aster, FakeBackpack() as backpack:
        aster.set_price("ETHUSDT", "3000")
        clock = LiveClock()
        handles = {}
        for role, settings in (
                ("s", aster_settings(aster)),
                ("l", ExchangeSettings(name="backpack", api_key=backpack.api_key, api_secret=backpack.secret,
                                       base_url=backpack.http_base))):
            broker = build_broker(settings, clock, streams=False, rate_limit=False)
            market = build_live_market(settings, clock, rate_limit=False)
            await broker.start()
            handles[role] = VenueHandle(settings.name, broker, market, resting_stops=broker.venue.resting_stops)
        try:
            yield aster, backpack, handles
        finally:
            for h in handles.values():
                await h.broker.close()
                await h.market.close()


def test_named_aster_venue_takes_a_wallet_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SP_VENUES__ASTER__EXCHANGE", "aster")
    monkeypatch.setenv("SP_VENUES__ASTER__PRIVATE_KEY", TEST_SIGNER_KEY)
    monkeypatch.setenv("SP_VENUES__ASTER__WALLET", TEST_USER)
    venue = exchange_settings(Settings(_env_file=None))["aster"]
    assert venue.name == "aster" and venue.wallet == TEST_USER
    assert venue.private_key is not None and TEST_SIGNER_KEY not in repr(venue)


async def test_a_round_short_on_aster_long_on_backpack(venues, caplog) -> None:  # type: ignore[no-untyped-def]
    aster, backpack, handles = venues
    caplog.set_level(logging.DEBUG)
    store = MemoryHedgeStore()
    runner = HedgeRunner(store, LiveClock(), handles["s"], handles["l"], Rules(D("0.8"), D("1.2")))
    rnd = await runner.open("ETH/USDT", D("100"), SYMBOLS)
    assert rnd.state is RoundState.OPEN and rnd.qty == D("0.03")
    short, long = rnd.legs
    assert (short.venue, short.entry, long.venue, long.entry) == ("aster", D("3000"), "backpack", D("3000"))
    assert [p.amt for p in aster.positions.values()] == [D("-0.03")]
    assert short.stop_resting and short.stop_price == D("3024.00")  # a STOP_MARKET order rests on Aster
    assert [(a.client_algo_id, a.order_type, a.status) for a in aster.algo_orders.values()] == [
        (f"hg-{rnd.id}-ssl-1", "STOP_MARKET", "NEW")]
    assert aster.count("POST /fapi/v1/algoOrder") == 0

    # every private request went to Aster's v3 API, named the account and its API wallet, and was signed
    private = [r for r in aster.requests if "signer" in r.params]
    assert private and all(r.path.startswith(("/fapi/v3/", "/fapi/v4/")) for r in private)
    assert {(r.params["user"], r.params["signer"]) for r in private} == {(TEST_USER, address_of(TEST_SIGNER_KEY))}
    assert not any("builder" in r.params for r in aster.requests)  # no builder fee on our orders
    assert aster.count("GET /fapi/v1/time") == 0 and not any(r.path.startswith("/fapi/v1/order")
                                                             for r in aster.requests)

    aster.set_price("ETHUSDT", "3030")  # +1 %: the short's stop fires on Aster
    backpack.set_price("ETH_USDC_PERP", "3030")
    await runner.check()  # the monitor finds the resting stop filled
    await runner.on_price("l", D("3030"))
    rnd = runner.round
    assert rnd is not None and rnd.leg("s").reason is LegExit.STOP and rnd.leg("l").is_open
    assert aster.positions == {}

    backpack.set_price("ETH_USDC_PERP", "3040")  # +1.33 %: the long's reduce-only limit at +1.2 % fills
    await runner.on_price("l", D("3040"))
    rnd = runner.round
    assert rnd is not None and rnd.state is RoundState.DONE
    assert rnd.leg("l").state is LegState.CLOSED and rnd.leg("l").reason is LegExit.TAKE_PROFIT
    assert await handles["s"].broker.positions() == [] and await handles["l"].broker.positions() == []
    assert [e.kind for e in store.events] == [HedgeAlert.OPENED, HedgeAlert.LEG_STOPPED, HedgeAlert.LIMIT_PLACED,
                                              HedgeAlert.LIMIT_FILLED, HedgeAlert.ENDED]
    assert rnd.leg("s").fees > 0 and rnd.pnl == rnd.leg("s").pnl + rnd.leg("l").pnl
    assert TEST_SIGNER_KEY.removeprefix("0x") not in caplog.text  # the key never reaches a log


async def test_a_key_the_account_never_approved_is_refused() -> None:
    async with FakeBinance() as aster:
        stranger = "0x" + "77" * 32
        broker = build_broker(aster_settings(aster, stranger), LiveClock(), streams=False, rate_limit=False)
        try:
            with pytest.raises(AuthError) as refused:
                await broker.start()
            assert stranger.removeprefix("0x") not in str(refused.value)
        finally:
            await broker.close()
        assert aster.positions == {}


def test_live_default_venue_on_aster_needs_only_the_wallet_key() -> None:
    live = Settings(_env_file=None, mode="live", exchange={"name": "aster", "private_key": TEST_SIGNER_KEY})
    assert live.exchange.private_key is not None and live.exchange.api_key is None
    with pytest.raises(ValueError, match="SP_EXCHANGE__PRIVATE_KEY"):
        Settings(_env_file=None, mode="live", exchange={"name": "aster"})
