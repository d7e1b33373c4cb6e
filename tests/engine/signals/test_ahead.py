"""Sliding windows computed ahead on a replay (engine/signals/ahead.py): every scan scores exactly
as it does without looking ahead, whatever the steps between scans, and a window ahead is taken
only when the scan reads that very window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.clock import ManualClock
from engine.market.base import Candles
from engine.market.replay import ReplayMarketData
from engine.signals import ahead
from engine.signals.analysis import Analysis
from engine.signals.scanner import Scanner
from engine.signals.scorer import Scorer

SAMPLE = Path(__file__).resolve().parents[3] / "engine" / "market" / "sample"
SYMBOLS = ["ADA/BTC", "ETH/BTC", "LTC/BTC", "XMR/BTC"]
# minutes between scans: regular (hourly), then steps the guess gets wrong
STEPS = [60] * 12 + [45, 15, 120, 30, 30, 75, 60, 60, 60, 240, 15, 15, 60, 60]


class Blind:
    """The replay without ``windows_ahead``: a source that cannot see ahead."""

    def __init__(self, replay: ReplayMarketData) -> None:
        self._replay = replay

    def __getattr__(self, name: str) -> object:
        if name == "windows_ahead":
            raise AttributeError(name)
        return getattr(self._replay, name)


class Tampered:
    """A replay whose windows ahead carry other prices (a source that changed under us)."""

    def __init__(self, replay: ReplayMarketData) -> None:
        self._replay = replay

    def __getattr__(self, name: str) -> object:
        return getattr(self._replay, name)

    def windows_ahead(self, symbol: str, timeframe: str, length: int, ends: list[int]) -> list[Candles]:
        return [Candles(w.ts, w.open, w.high * 1.01, w.low, w.close * 1.01, w.volume)
                for w in self._replay.windows_ahead(symbol, timeframe, length, ends)]


def _fingerprint(analyses: list[Analysis]) -> list[tuple[str, str, str, float | None, float]]:
    return [(a.symbol, a.side.value, a.score.hex(), a.atr_pct, a.price) for a in analyses]


async def _scans(wrap: type[Blind] | type[Tampered] | None) -> tuple[list[object], Scorer]:
    clock = ManualClock(datetime(2000, 1, 1, tzinfo=UTC))
    replay = ReplayMarketData(SAMPLE, clock, symbols=SYMBOLS, warmup=300, speed=0)
    market = replay if wrap is None else wrap(replay)
    scorer = Scorer()
    scanner = Scanner(market, scorer, ("15m", "1h", "4h"), candles=60)  # type: ignore[arg-type]
    now, got = replay.start_time, []
    for minutes in STEPS * 3:
        now += timedelta(minutes=minutes)
        if now > replay.last_time:
            break
        clock.set(now)
        got.append(_fingerprint(await scanner.scan(SYMBOLS)))
    return got, scorer


async def test_scores_with_windows_ahead_are_the_scores_without(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    batch = ahead.full_recursive

    def counted(candles: list[Candles], params: object) -> object:
        calls.append(len(candles))
        return batch(candles, params)  # type: ignore[arg-type]

    monkeypatch.setattr(ahead, "full_recursive", counted)
    seen, _ = await _scans(None)
    blind, _ = await _scans(Blind)
    assert len(seen) > 40 and seen == blind
    assert max(calls) > len(SYMBOLS)  # windows were computed ahead, in batches
    assert len(calls) < len(seen)  # … and most scans took theirs from them


async def test_a_window_ahead_with_other_prices_is_not_taken() -> None:
    tampered, _ = await _scans(Tampered)
    blind, _ = await _scans(Blind)
    assert tampered == blind
