"""``download`` against the fake Binance over HTTP with the real ccxt client: fresh, resumed, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from config.settings import ExchangeSettings
from engine.brokers.ccxt.client import make_exchange
from engine.market.csv_io import load_candle_file
from engine.market.download import DownloadError, download
from tests.conftest import CANDLES_DIR
from tests.fakes.binance import FakeBinance

pytestmark = pytest.mark.skipif(not CANDLES_DIR.is_dir(), reason="../shared/data/candles not present")

SOURCE = CANDLES_DIR / "XRP_USDT-5m.csv"
END = datetime(2021, 11, 20, tzinfo=UTC)


def _source_rows(since: datetime, end: datetime) -> list[tuple[int, ...]]:
    lo, hi = int(since.timestamp() * 1000), int(end.timestamp() * 1000)
    rows = []
    for line in SOURCE.read_text().splitlines()[1:]:
        cells = line.split(",")
        ts = int(cells[0])
        if lo <= ts and ts + 300_000 <= hi:
            rows.append((ts, *(Decimal(c) for c in cells[1:])))
    return rows


def _file_rows(path: Path) -> list[tuple[int, ...]]:
    lines = path.read_text().splitlines()
    assert lines[0] == "timestamp,open,high,low,close,volume"
    return [(int(c[0]), *(Decimal(x) for x in c[1:])) for c in (line.split(",") for line in lines[1:])]


def _client(fake: FakeBinance):  # type: ignore[no-untyped-def]
    return make_exchange(ExchangeSettings(name="binanceusdm", base_url=fake.http_base), rate_limit=True)


async def test_fresh_download_writes_the_exchange_candles_in_replay_format(tmp_path: Path) -> None:
    async with FakeBinance() as fake:
        fake.load_klines_csv("XRPUSDT", "5m", SOURCE)
        ex = _client(fake)
        done: list[int] = []
        try:
            results = await download(ex, ["XRP/USDT"], ["5m"], END - timedelta(days=3), END, tmp_path,
                                     progress=done.append, page_limit=500)
        finally:
            await ex.close()
    path = tmp_path / "XRP_USDT-5m.csv"
    expected = _source_rows(END - timedelta(days=3), END)
    assert len(expected) > 800  # more than one page of 500
    assert _file_rows(path) == expected
    assert results[0].added == len(expected) == sum(done) and not results[0].resumed
    assert load_candle_file(path).ts.size == len(expected)  # the replay reads it back
    assert fake.count("GET /fapi/v1/klines") >= 2


async def test_a_second_run_appends_only_the_missing_tail(tmp_path: Path) -> None:
    first_end = END - timedelta(days=1)
    async with FakeBinance() as fake:
        fake.load_klines_csv("XRPUSDT", "5m", SOURCE)
        ex = _client(fake)
        try:
            await download(ex, ["XRP/USDT"], ["5m"], END - timedelta(days=3), first_end, tmp_path)
            before = (tmp_path / "XRP_USDT-5m.csv").read_text()
            mark = len(fake.requests)
            results = await download(ex, ["XRP/USDT"], ["5m"], END - timedelta(days=3), END, tmp_path)
            again = await download(ex, ["XRP/USDT"], ["5m"], END - timedelta(days=3), END, tmp_path)
        finally:
            await ex.close()
        starts = [int(r.params["startTime"]) for r in fake.requests[mark:] if r.path == "/fapi/v1/klines"]
    path = tmp_path / "XRP_USDT-5m.csv"
    after = path.read_text()
    assert after.startswith(before), "the rows already there are kept as they were"
    rows = _file_rows(path)
    assert rows == _source_rows(END - timedelta(days=3), END)  # sorted, no duplicate, nothing missing
    assert results[0].resumed and results[0].added == len(_source_rows(first_end, END))
    assert min(starts) == int(first_end.timestamp() * 1000), "the resumed run asks only for the tail"
    assert again[0].added == 0 and path.read_text() == after


async def test_an_unknown_symbol_is_a_clear_error(tmp_path: Path) -> None:
    async with FakeBinance() as fake:
        ex = _client(fake)
        try:
            with pytest.raises(DownloadError, match="unknown symbol 'DOGE/USDT'"):
                await download(ex, ["DOGE/USDT"], ["5m"], END - timedelta(days=1), END, tmp_path)
        finally:
            await ex.close()
    assert list(tmp_path.iterdir()) == []
