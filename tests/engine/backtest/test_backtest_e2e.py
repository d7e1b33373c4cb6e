"""End-to-end backtest on the real candles in ../shared/data: the report agrees with its trades."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from config.settings import Settings
from engine.backtest.runner import run_backtest
from tests.conftest import CANDLES_DIR

pytestmark = pytest.mark.skipif(not CANDLES_DIR.is_dir(), reason="../shared/data/candles not present")


def _candle_ranges(symbol: str) -> dict[int, tuple[Decimal, Decimal]]:
    base, quote = symbol.split("/")
    ranges = {}
    for line in (CANDLES_DIR / f"{base}_{quote}-5m.csv").read_text().splitlines()[1:]:
        ts, _o, h, low, _c, _v = line.split(",")
        ranges[int(ts)] = (Decimal(low), Decimal(h))
    return ranges


async def test_backtest_report_agrees_with_its_trades() -> None:
    settings = Settings(_env_file=None, scan={"min_score": 70, "interval_min": 60})
    symbols = ["ETH/BTC", "LTC/BTC", "XLM/BTC", "XMR/BTC", "ZEC/BTC"]
    result = await run_backtest(settings, CANDLES_DIR, symbols, "5m")
    s = result.summary
    assert s.trades == len(result.trades) > 0
    assert s.net_pnl == pytest.approx(float(sum((t.pnl for t in result.trades), Decimal(0))), abs=1e-9)
    assert s.fees == pytest.approx(float(sum((t.fees for t in result.trades), Decimal(0))), abs=1e-9)
    wins = sum(1 for t in result.trades if t.pnl > 0)
    assert s.win_rate == pytest.approx(wins / s.trades)
    exit_counts: dict[str, int] = {}
    ranges = {sym: _candle_ranges(sym) for sym in symbols}
    for t in result.trades:
        assert sum((e.qty for e in t.exits), Decimal(0)) == t.qty, "exits must sum to the entry quantity"
        for e in t.exits:
            exit_counts[e.reason] = exit_counts.get(e.reason, 0) + 1
            if e.reason == "end":
                continue
            bucket = int(e.time.timestamp() * 1000) // 300_000 * 300_000
            low, high = ranges[t.symbol][bucket]
            assert low <= e.price <= high, f"{t.symbol} {e.reason} exit {e.price} outside {low}..{high}"
    for reason, count in exit_counts.items():
        assert s.exits.get(reason, 0) == count
    final_equity = result.equity_curve[-1][1]
    # the venue rounds each realized PnL to 8 decimals, the trade records keep it exact
    assert float(final_equity - result.initial_equity) == pytest.approx(s.net_pnl, abs=1e-8 * 2 * s.trades + 1e-12)


def test_backtest_command_writes_json_and_chart(tmp_path: Path) -> None:
    out, chart = tmp_path / "r.json", tmp_path / "eq.png"
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "backtest", "--data", str(CANDLES_DIR), "--symbols", "ETH/BTC,LTC/BTC",
         "--timeframe", "5m", "--from", "2018-01-15", "--to", "2018-01-25", "--json", str(out), "--chart", str(chart),
         "--quiet"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "SP_SCAN__MIN_SCORE": "65"})
    assert proc.returncode == 0, proc.stderr
    assert "candles/s" in proc.stdout
    report = json.loads(out.read_text())
    assert set(report) == {"summary", "trades"}
    assert set(report["summary"]["exits"]) >= {"tp1", "tp2", "stop", "breakeven", "trailing", "time", "end"}
    for trade in report["trades"]:
        assert isinstance(trade["entry_price"], str) and trade["side"] in ("long", "short")
        assert trade["entry_time"] >= "2018-01-15"
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_backtest_rejects_a_missing_directory(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "bot", "backtest", "--data", str(tmp_path / "none")],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 2 and "not a directory" in proc.stderr
