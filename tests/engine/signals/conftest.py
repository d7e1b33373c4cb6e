"""Real candles for the signal tests: the bundled sample and the shared ten BTC-quoted markets."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.clock import ManualClock
from engine.market.replay import ReplayMarketData

SAMPLE = Path(__file__).resolve().parents[3] / "engine" / "market" / "sample"
SHARED = Path("/work/shared/data/candles")


def replay_at(directory: Path, when: datetime, warmup: int = 0, **kw: object) -> ReplayMarketData:
    """A replay whose clock is put at ``when`` (candles closed by then are visible)."""
    clock = ManualClock(datetime(2000, 1, 1, tzinfo=UTC))
    market = ReplayMarketData(directory, clock, warmup=warmup, speed=0, **kw)  # type: ignore[arg-type]
    clock.set(when)
    return market


@pytest.fixture(scope="session")
def btc_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ten real ``*_BTC-5m`` files of the shared data (skips when they are not on this machine)."""
    files = sorted(SHARED.glob("*_BTC-5m.csv")) if SHARED.is_dir() else []
    if len(files) < 10:
        pytest.skip("shared real candles not present")
    out = tmp_path_factory.mktemp("btc")
    for f in files:
        (out / f.name).symlink_to(f)
    return out
