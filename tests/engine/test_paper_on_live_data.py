"""Paper trading on live market data: public data through the real ccxt client (no keys), orders
filled by the paper broker — nothing is ever sent to the exchange."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from config.settings import Settings
from engine.facade import Engine
from engine.market.base import PriceTick
from engine.views import ConfirmOutcome
from tests.conftest import CANDLES_DIR
from tests.fakes.binance import FakeBinance

pytestmark = pytest.mark.skipif(not (CANDLES_DIR / "XRP_USDT-5m.csv").exists(), reason="shared candles missing")


async def test_paper_on_live_data_never_touches_the_account(tmp_path: Path) -> None:
    async with FakeBinance() as fake:
        fake.load_klines_csv("XRPUSDT", "5m", CANDLES_DIR / "XRP_USDT-5m.csv")
        fake.set_price("XRPUSDT", "1.0840")
        settings = Settings(_env_file=None, mode="paper", market={"source": "live"},
                            exchange={"base_url": fake.http_base},
                            scan={"symbols": ["XRP/USDT:USDT"], "timeframes": ["5m", "15m"], "candles": 200},
                            database={"url": f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"})
        engine = await Engine.create(settings)
        try:
            await engine.start(run_feed=False, run_jobs=False)
            assert engine.broker.paper and (await engine.balance()).currency == "USDT"
            assert (await engine.balance()).equity == Decimal("10000")
            symbol = await engine.known_symbol("xrp")
            assert symbol == "XRP/USDT:USDT"
            await engine.on_tick(PriceTick(symbol, Decimal("1.0840"), engine.clock.now()))
            sig = await engine.analyse(symbol)
            assert sig is not None and sig.entry == Decimal("1.0840")
            result = await engine.confirm(sig.id, by="1")
            assert result.outcome is ConfirmOutcome.OPENED
            await engine.on_tick(PriceTick(symbol, sig.targets[0].price, engine.clock.now()))
            assert (await engine.positions())[0].position.targets_hit == 1
            signed = [r for r in fake.requests if "signature" in (r.params or {})]
            assert signed == [] and fake.orders == {} and fake.algo_orders == {}
        finally:
            await engine.stop()
