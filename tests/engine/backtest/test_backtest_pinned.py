"""The ten-market backtest report is pinned: summary and every trade, as produced before the
replay was made faster (issue 9 item 5). Any change to the engine's trading decisions shows here.

The golden file ``golden_btc5m.json`` is ``signalpilot backtest --data ../shared/data/candles
--symbols <the ten *_BTC-5m markets> --timeframe 5m --json`` with default settings.
Only the keys of the golden file are compared, so the report may grow new fields.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config.settings import Settings
from engine.backtest.report import to_json_dict
from engine.backtest.runner import run_backtest
from tests.conftest import CANDLES_DIR

pytestmark = pytest.mark.skipif(not CANDLES_DIR.is_dir(), reason="../shared/data/candles not present")

GOLDEN = Path(__file__).with_name("golden_btc5m.json")
SYMBOLS = [f"{b}/BTC" for b in ("ADA", "DASH", "ETC", "ETH", "LTC", "NXT", "TRX", "XLM", "XMR", "ZEC")]


def _project(value: object, shape: object) -> object:
    """``value`` cut down to the keys present in ``shape`` (recursively)."""
    if isinstance(shape, dict) and isinstance(value, dict):
        return {k: _project(value.get(k), v) for k, v in shape.items()}
    if isinstance(shape, list) and isinstance(value, list) and shape:
        return [_project(v, shape[0]) for v in value]
    return value


async def test_ten_market_report_is_unchanged() -> None:
    golden = json.loads(GOLDEN.read_text())
    result = await run_backtest(Settings(_env_file=None), CANDLES_DIR, SYMBOLS, "5m")
    report = to_json_dict(result.summary, result.trades)
    assert _project(report["summary"], golden["summary"]) == golden["summary"]
    got = _project(report["trades"], golden["trades"])
    assert len(got) == len(golden["trades"])
    for i, (trade, want) in enumerate(zip(got, golden["trades"], strict=True)):
        assert trade == want, f"trade {i} ({want['symbol']} {want['entry_time']}) differs"
