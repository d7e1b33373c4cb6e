"""The engine streams prices only for what needs them (paper on live data, real ccxt against the
fake Binance): a card's symbol while the card is open, a position's while it is open. When the
position closes or the card expires, the symbol's price stream ends — on the venue too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from config.settings import Settings
from engine.clock import ManualClock
from engine.facade import Engine
from engine.market.base import PriceTick
from engine.views import ConfirmOutcome
from tests.conftest import CANDLES_DIR
from tests.engine.market.test_watches import subscribed, until
from tests.fakes.binance import FakeBinance

pytestmark = pytest.mark.skipif(not (CANDLES_DIR / "XRP_USDT-5m.csv").exists(), reason="shared candles missing")
XRP = "XRP/USDT:USDT"


async def test_watches_end_when_the_position_closes_and_when_the_card_expires(tmp_path: Path) -> None:
    async with FakeBinance() as fake:
        fake.load_klines_csv("XRPUSDT", "5m", CANDLES_DIR / "XRP_USDT-5m.csv")
        fake.set_price("XRPUSDT", "1.0840")
        settings = Settings(_env_file=None, mode="paper", market={"source": "live"},
                            exchange={"base_url": fake.http_base},
                            scan={"symbols": [XRP], "timeframes": ["5m", "15m"], "candles": 200,
                                  "signal_ttl_min": 30},
                            database={"url": f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"})
        clock = ManualClock(datetime.now(UTC))
        engine = await Engine.create(settings, clock=clock)
        market = engine.market
        market.exchange.timeout_on_exit = 0
        try:
            await engine.start(run_jobs=False)  # the live price feed runs
            assert market.watched == frozenset()
            await engine.on_tick(PriceTick(XRP, Decimal("1.0840"), clock.now()))
            # a position: watched while open, released when it closes
            sig = await engine.analyse(XRP)
            assert sig is not None and market.watched == {XRP}
            result = await engine.confirm(sig.id, by="1")
            assert result.outcome is ConfirmOutcome.OPENED and result.position is not None
            assert market.watched == {XRP}  # the card is done, the position needs it
            await until(lambda: subscribed(fake, "ticker") == {"xrpusdt"})
            closed = await engine.close_position(result.position.id, by="1")
            assert closed.ok and market.watched == frozenset()
            await until(lambda: subscribed(fake, "ticker") == set())
            # a card: watched until it expires
            card = await engine.analyse(XRP)
            assert card is not None and market.watched == {XRP}
            await until(lambda: subscribed(fake, "ticker") == {"xrpusdt"})
            clock.set(card.expires_at + timedelta(seconds=1))
            assert [s.id for s in await engine.signals.expire()] == [card.id]
            assert market.watched == frozenset()
            await until(lambda: subscribed(fake, "ticker") == set())
        finally:
            await engine.stop()


async def test_cards_still_raised_at_start_are_watched(tmp_path: Path) -> None:
    async with FakeBinance() as fake:
        fake.load_klines_csv("XRPUSDT", "5m", CANDLES_DIR / "XRP_USDT-5m.csv")
        fake.set_price("XRPUSDT", "1.0840")
        settings = Settings(_env_file=None, mode="paper", market={"source": "live"},
                            exchange={"base_url": fake.http_base},
                            scan={"symbols": [XRP], "timeframes": ["5m"], "candles": 200},
                            database={"url": f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"})
        first = await Engine.create(settings)
        await first.start(run_feed=False, run_jobs=False)
        assert await first.analyse(XRP) is not None
        await first.stop()
        second = await Engine.create(settings)
        try:
            await second.start(run_feed=False, run_jobs=False)
            assert second.market.watched == {XRP}
        finally:
            await second.stop()
