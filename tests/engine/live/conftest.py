"""Fixtures for the live engine against a FakeBinance on 127.0.0.1 (real ccxt clients, temp SQLite).

``fake``: a started FakeBinance (BTCUSDT, ETHUSDT, XRPUSDT). ``live_engine``: a factory
``await live_engine(fake, db_url=None, *, start=True, run_feed=False, clock=None, **sections)`` → an Engine in
live mode pointed at the fake; the same ``db_url`` twice is a restart. Every engine is stopped
at teardown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from engine.clock import Clock
from engine.facade import Engine
from tests.engine.live.harness import build_live_engine, live_settings
from tests.fakes.binance import FakeBinance


@pytest.fixture
async def fake() -> AsyncIterator[FakeBinance]:
    async with FakeBinance() as venue:
        yield venue


@pytest.fixture
async def live_engine(db_url_factory):  # type: ignore[no-untyped-def]
    engines: list[Engine] = []

    async def make(venue: FakeBinance, db_url: str | None = None, *, start: bool = True, run_feed: bool = False,
                   timeout_ms: int = 2000, clock: Clock | None = None, **sections: dict) -> Engine:
        settings = live_settings(venue.http_base, db_url or db_url_factory(), **sections)
        engine = await build_live_engine(settings, timeout_ms=timeout_ms, clock=clock)
        engines.append(engine)
        if start:
            await engine.start(run_feed=run_feed, run_jobs=False)
        return engine

    yield make
    for engine in engines:
        if engine.started:
            await engine.stop()
