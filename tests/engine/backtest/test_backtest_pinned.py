"""The ten-market backtest report is pinned: summary and every trade, as produced before the
replay was made faster (issue 9 item 5). Any change to the engine's trading decisions shows here.

The golden file ``golden_btc5m.json`` is ``signalpilot backtest --data ../shared/data/candles
--symbols <the ten *_BTC-5m markets> --timeframe 5m --json`` with default settings, plus the number
of bars replayed and a digest of the scores of all ten markets at every hourly scan (two of the
ten never trade, so the trades alone would not show a change in their scores). Only the keys of
the golden file are compared, so the report may grow new fields.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from config.settings import Settings
from engine.backtest.report import to_json_dict
from engine.backtest.runner import run_backtest
from engine.clock import ManualClock
from engine.market.replay import ReplayMarketData
from engine.signals.scanner import Scanner
from engine.signals.scorer import Scorer
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
    assert result.candles == golden["bars"]
    report = to_json_dict(result.summary, result.trades)
    assert _project(report["summary"], golden["summary"]) == golden["summary"]
    got = _project(report["trades"], golden["trades"])
    assert len(got) == len(golden["trades"])
    for i, (trade, want) in enumerate(zip(got, golden["trades"], strict=True)):
        assert trade == want, f"trade {i} ({want['symbol']} {want['entry_time']}) differs"


async def scan_digest(data: Path) -> dict[str, object]:
    """Every hourly scan of the ten markets over the whole replay, as the backtest's scan job sees
    them (default scan settings): side, exact score, ATR % and price of each market → sha256."""
    settings = Settings(_env_file=None)
    clock = ManualClock(datetime(2000, 1, 1, tzinfo=UTC))
    market = ReplayMarketData(data, clock, symbols=SYMBOLS, warmup=settings.market.replay_warmup, speed=0)
    scanner = Scanner(market, Scorer(), settings.scan.timeframes, settings.scan.candles)
    digest = hashlib.sha256()
    scans = analyses = 0
    now = market.start_time + timedelta(minutes=settings.scan.interval_min)
    markets = set()
    while now <= market.last_time:
        clock.set(now)
        for a in await scanner.scan(SYMBOLS):
            digest.update(f"{now.isoformat()} {a.symbol} {a.side.value} {a.score.hex()} {a.atr_pct!r} "
                          f"{a.price!r}\n".encode())
            analyses += 1
            markets.add(a.symbol)
        scans += 1
        now += timedelta(minutes=settings.scan.interval_min)
    return {"scans": scans, "analyses": analyses, "markets": len(markets), "sha256": digest.hexdigest()}


def test_the_ten_markets_are_all_replayed() -> None:
    found = sorted(p.name for p in CANDLES_DIR.glob("*_BTC-5m.csv"))
    assert found == sorted(f"{s.replace('/', '_')}-5m.csv" for s in SYMBOLS)


async def test_every_scan_of_the_ten_markets_scores_the_same() -> None:
    golden = json.loads(GOLDEN.read_text())
    assert await scan_digest(CANDLES_DIR) == golden["scans"]
