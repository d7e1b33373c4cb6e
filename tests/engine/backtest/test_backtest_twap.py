"""A backtest with every entry executed as a TWAP over the replayed candles (the same code path as
paper and live): the report still agrees with its trades, and the first trade is the default run's
first trade (same signal, same moment, same planned quantity) entered at the slices' average price."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from config.settings import Settings
from engine.backtest.runner import run_backtest
from tests.conftest import CANDLES_DIR

pytestmark = pytest.mark.skipif(not CANDLES_DIR.is_dir(), reason="../shared/data/candles not present")

SYMBOLS = ["ETH/BTC", "LTC/BTC"]
SCAN = {"min_score": 70, "interval_min": 60}
END = datetime(2018, 1, 16, tzinfo=UTC)  # the first trades are enough (and a shorter replay)


async def test_twap_entries_over_candles() -> None:
    plain = await run_backtest(Settings(_env_file=None, scan=SCAN), CANDLES_DIR, SYMBOLS, "5m", end=END)
    twap = await run_backtest(Settings(_env_file=None, scan=SCAN, risk={
        "algo_above_notional": "0.00000001", "twap_minutes": 30, "twap_slices": 6}), CANDLES_DIR, SYMBOLS, "5m", end=END)
    assert plain.trades and twap.trades
    for t in twap.trades:
        assert sum((e.qty for e in t.exits), Decimal(0)) == t.qty, "exits must sum to what the slices filled"
    first, base = twap.trades[0], plain.trades[0]
    assert (first.symbol, first.entry_time, first.side) == (base.symbol, base.entry_time, base.side)
    assert first.qty == base.qty  # every slice filled: the whole planned quantity
    assert first.entry_price != base.entry_price  # the average of six slices over 30 minutes
    assert twap.summary.trades == len(twap.trades)
