"""End-to-end backtest on the real candles in ../shared/data: the report agrees with its trades."""

from __future__ import annotations

import json
import re
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
    # the per-pair table, the best and worst trade and the period agree with the trades
    assert sum(p.trades for p in s.pairs) == s.trades and {p.symbol for p in s.pairs} <= set(symbols)
    assert sum(p.net_pnl for p in s.pairs) == pytest.approx(s.net_pnl, abs=1e-9)
    assert s.best is not None and s.worst is not None
    assert s.best.pnl == float(max(t.pnl for t in result.trades)) and s.worst.pnl == float(min(t.pnl for t in
                                                                                               result.trades))
    assert s.start == result.equity_curve[0][0] and s.end == result.equity_curve[-1][0]
    assert s.avg_duration_s > 0
    assert s.return_pct == pytest.approx((float(result.equity_curve[-1][1]) / float(result.initial_equity) - 1) * 100)
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
    summary = report["summary"]
    assert summary["period"]["start"] >= "2018-01-15" and summary["period"]["end"] <= "2018-01-25T00:00:00Z"
    assert sum(p["trades"] for p in summary["pairs"]) == summary["trades"] == len(report["trades"])
    assert {"return_pct", "avg_trade_duration_s", "best_trade", "worst_trade"} <= set(summary)
    for label in ("period", "2018-01-15", "return", "avg duration", "best trade", "worst trade", "per pair"):
        assert label in proc.stdout, label
    assert set(report["summary"]["exits"]) >= {"tp1", "tp2", "stop", "breakeven", "trailing", "time", "end"}
    for trade in report["trades"]:
        assert isinstance(trade["entry_price"], str) and trade["side"] in ("long", "short")
        assert trade["entry_time"] >= "2018-01-15"
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_backtest_rejects_a_missing_directory(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "bot", "backtest", "--data", str(tmp_path / "none")],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 2 and "not a directory" in proc.stderr


def test_a_window_beyond_the_data_is_a_clear_error(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "bot", "backtest", "--data", str(CANDLES_DIR), "--symbols",
                           "ETH/BTC", "--from", "2019-01-01", "--quiet"], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 2
    assert "--from 2019-01-01 00:00 is after the end of the data" in proc.stderr
    assert "2018-01-10" in proc.stderr and "2018-01-30" in proc.stderr  # the period the data covers
    assert "candles replayed" not in proc.stdout and "Traceback" not in proc.stderr


def test_the_progress_bar_is_not_broken_by_log_lines(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "bot", "backtest", "--data", str(CANDLES_DIR), "--symbols",
                           "ETH/BTC,LTC/BTC,XLM/BTC", "--from", "2018-01-22", "--to", "2018-01-26"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env={"PATH": "/usr/bin:/bin", "SP_LOG_LEVEL": "INFO", "SP_SCAN__MIN_SCORE": "60"})
    assert proc.returncode == 0, proc.stderr
    segments = [seg for seg in re.split(r"[\r\n]", proc.stderr) if seg.strip()]
    logs = [seg for seg in segments if " INFO " in seg]
    bars = [seg for seg in segments if "candle/s" in seg or "?candle" in seg]
    assert any("paper fill" in seg for seg in logs), "the run logs its fills"
    assert bars, "a progress bar is shown"
    for seg in logs:  # each log line stands on its own line, never glued to a bar
        assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", seg.strip()), seg
    for seg in bars:
        assert " INFO " not in seg and "/0 " not in seg and not seg.strip().startswith("0it"), seg
    assert re.search(r"100%\|[^|]*\| (\d+)/\1 ", proc.stderr), "the bar finishes"
