"""The CSV replay source: what a user replaying candles sees (symbols, candles, ticks, clock)."""

from __future__ import annotations

import asyncio
import csv
import json
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from engine.clock import ManualClock
from engine.market.base import PriceTick
from engine.market.replay import ReplayMarketData, tick_path

SAMPLE = Path(__file__).resolve().parents[3] / "engine" / "market" / "sample"
SHARED = Path("/work/shared/data/candles")
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="shared real candles not present")

T0 = 1_515_560_100_000  # 2018-01-10 04:55 UTC, the first candle of the sample
M5 = 300_000


def at(ms: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)


def clock() -> ManualClock:
    return ManualClock(datetime(2000, 1, 1, tzinfo=UTC))


def rows_of(path: Path) -> list[list[str]]:
    with path.open() as fh:
        return list(csv.reader(fh))[1:]


def write_csv(path: Path, rows: list[tuple]) -> None:
    lines = ["timestamp,open,high,low,close,volume"] + [",".join(str(x) for x in r) for r in rows]
    path.write_text("\n".join(lines) + "\n")


class Recorder:
    def __init__(self, clk: ManualClock) -> None:
        self.clock = clk
        self.ticks: list[tuple[PriceTick, datetime]] = []
        self.bars: list[datetime] = []

    async def tick(self, t: PriceTick) -> None:
        self.ticks.append((t, self.clock.now()))

    async def bar(self, when: datetime) -> None:
        self.bars.append(when)


# --- loading --------------------------------------------------------------------------------
async def test_symbols_come_from_base_timeframe_file_names(tmp_path: Path) -> None:
    write_csv(tmp_path / "ETH_BTC-5m.csv", [(T0, "0.1", "0.2", "0.05", "0.15", "1")])
    write_csv(tmp_path / "XRP_USDT-1h.csv", [(T0, "1", "1", "1", "1", "1")])  # other timeframe
    (tmp_path / "notes.txt").write_text("not candles")
    market = ReplayMarketData(tmp_path, clock(), warmup=0)
    assert await market.symbols() == ["ETH/BTC"]
    hourly = ReplayMarketData(tmp_path, clock(), base_timeframe="1h", warmup=0)
    assert await hourly.symbols() == ["XRP/USDT"]


async def test_bundled_sample_has_four_markets() -> None:
    market = ReplayMarketData(SAMPLE, clock())
    assert await market.symbols() == ["ADA/BTC", "ETH/BTC", "LTC/BTC", "XMR/BTC"]
    assert market.first_time == at(T0)
    assert "freqtrade" in (SAMPLE / "README.md").read_text()


async def test_empty_directory_and_missing_symbol_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="5m"):
        ReplayMarketData(tmp_path, clock())
    with pytest.raises(FileNotFoundError, match="DOGE/BTC"):
        ReplayMarketData(SAMPLE, clock(), symbols=["ETH/BTC", "DOGE/BTC"])


async def test_market_spec_from_decimals_and_overrides(tmp_path: Path) -> None:
    write_csv(tmp_path / "ETH_BTC-5m.csv", [(T0, "0.0984", "0.0994766", "0.09828", "0.0994", "10")])
    write_csv(tmp_path / "ADA_BTC-5m.csv", [(T0, "5.33e-05", "5.33e-05", "5.288e-05", "5.29e-05", "10")])
    (tmp_path / "markets.json").write_text(json.dumps({"ADA_BTC": {"price_step": "0.0000001",
                                                                   "max_leverage": 20, "min_notional": "0.001"}}))
    market = ReplayMarketData(tmp_path, clock(), warmup=0)
    eth = await market.market("ETH/BTC")
    assert (eth.base, eth.quote, eth.price_step) == ("ETH", "BTC", Decimal("0.0000001"))
    assert eth.qty_step == eth.min_qty == Decimal("0.001") and eth.max_leverage == 125
    ada = await market.market("ADA/BTC")
    assert ada.price_step == Decimal("0.0000001") and ada.max_leverage == 20
    assert ada.min_notional == Decimal("0.001")
    with pytest.raises(KeyError, match="DOGE/BTC"):
        await market.market("DOGE/BTC")


async def test_real_file_price_step_is_eight_decimals() -> None:
    market = ReplayMarketData(SAMPLE, clock())
    assert (await market.market("ADA/BTC")).price_step == Decimal("1E-8")  # 5.288e-05 needs 8


# --- resampling and the closed-candle rule --------------------------------------------------
async def test_resampled_candles_match_hand_computed_buckets(tmp_path: Path) -> None:
    b = 1_515_560_400_000 - 1_515_560_400_000 % 900_000  # a 15m boundary
    write_csv(tmp_path / "AAA_USDT-5m.csv", [
        (b, 10, 12, 9, 11, 1), (b + M5, 11, 15, 10, 14, 2), (b + 2 * M5, 14, 14, 8, 9, 3),
        # second bucket: its middle candle is missing
        (b + 3 * M5, 9, 10, 7, 8, 4), (b + 5 * M5, 8, 20, 8, 19, 5),
        # third bucket: only its first candle exists
        (b + 6 * M5, 19, 21, 18, 20, 6),
    ])
    clk = clock()
    market = ReplayMarketData(tmp_path, clk, warmup=0)
    clk.set(at(b + 9 * M5))
    c = await market.candles("AAA/USDT", "15m", 10)
    assert list(c.ts) == [b, b + 900_000, b + 1_800_000]
    assert list(c.open) == [10, 9, 19]
    assert list(c.high) == [15, 20, 21]
    assert list(c.low) == [8, 7, 18]
    assert list(c.close) == [9, 19, 20]
    assert list(c.volume) == [6, 9, 6]
    # the clock inside the third bucket: that bucket is still forming and is left out
    clk2 = clock()
    market2 = ReplayMarketData(tmp_path, clk2, warmup=0)
    clk2.set(at(b + 7 * M5))
    assert list((await market2.candles("AAA/USDT", "15m", 10)).ts) == [b, b + 900_000]
    assert len(await market2.candles("AAA/USDT", "5m", 10)) == 5 + 1  # the 5m candle at b+30m closed
    assert list((await market2.candles("AAA/USDT", "5m", 2)).close) == [19, 20]


async def test_hourly_candles_of_the_real_file_match_its_rows() -> None:
    rows = rows_of(SAMPLE / "ETH_BTC-5m.csv")
    clk = clock()
    market = ReplayMarketData(SAMPLE, clk)
    clk.set(at(T0 + 30 * 3_600_000))
    hours = await market.candles("ETH/BTC", "1h", 500)
    for bucket in (int(hours.ts[1]), int(hours.ts[5])):  # two full hours checked by hand
        inside = [r for r in rows if bucket <= int(r[0]) < bucket + 3_600_000]
        assert len(inside) == 12
        i = list(hours.ts).index(bucket)
        assert hours.open[i] == float(inside[0][1])
        assert hours.high[i] == max(float(r[2]) for r in inside)
        assert hours.low[i] == min(float(r[3]) for r in inside)
        assert hours.close[i] == float(inside[-1][4])
        assert hours.volume[i] == pytest.approx(sum(float(r[5]) for r in inside))
    # the first hour holds only the 04:55 candle; buckets sit on UTC hours
    assert int(hours.ts[0]) == T0 - T0 % 3_600_000 and hours.open[0] == float(rows[0][1])
    assert all(int(t) % 3_600_000 == 0 for t in hours.ts)
    four = await market.candles("ETH/BTC", "4h", 500)
    assert all(int(t) % 14_400_000 == 0 for t in four.ts)
    assert int(four.ts[-1]) + 14_400_000 <= T0 + 30 * 3_600_000


async def test_only_closed_candles_are_returned_as_the_replay_advances() -> None:
    clk = clock()
    market = ReplayMarketData(SAMPLE, clk, symbols=["ETH/BTC"], warmup=12, speed=0)
    rec = Recorder(clk)
    await market.step(rec.tick)  # replays the 13th candle: 05:55 → 06:00
    five = await market.candles("ETH/BTC", "5m", 500)
    assert len(five) == 13 and int(five.ts[-1]) + M5 <= int(clk.now().timestamp() * 1000)
    hours = await market.candles("ETH/BTC", "1h", 500)
    assert clk.now() == datetime(2018, 1, 10, 6, 0, tzinfo=UTC)
    assert [at(int(t)).hour for t in hours.ts] == [4, 5]  # the 06:00 hour has not started closing
    # mid-candle (during the ticks) the candle being replayed is not closed yet
    seen: list[int] = []

    async def look(_t: PriceTick) -> None:
        seen.append(len(await market.candles("ETH/BTC", "5m", 500)))

    await market.step(look)
    assert seen == [13, 13, 13, 13] and len(await market.candles("ETH/BTC", "5m", 500)) == 14


async def test_candles_calls_are_cheap() -> None:
    """Each call is a searchsorted and six slices of a frame resampled once: views, never copies."""
    clk = clock()
    market = ReplayMarketData(SAMPLE, clk, speed=0)
    await market.step(Recorder(clk).tick)
    first = await market.candles("ETH/BTC", "15m", 500)
    await market.step(Recorder(clk).tick)
    await market.candles("ETH/BTC", "4h", 500)
    later = await market.candles("ETH/BTC", "15m", 500)
    for a, b in zip((first.ts, first.open, first.high, first.low, first.close, first.volume),
                    (later.ts, later.open, later.high, later.low, later.close, later.volume), strict=True):
        assert a.base is not None and np.shares_memory(a, b)  # slices of the same resampled frame


# --- gaps -----------------------------------------------------------------------------------
async def test_real_gap_is_skipped_for_that_symbol_only() -> None:
    gap_from, gap_to = 1_516_017_300_000, 1_516_027_500_000  # ADA/BTC misses 170 minutes here
    clk = clock()
    market = ReplayMarketData(SAMPLE, clk, symbols=["ADA/BTC", "ETH/BTC"], warmup=0, speed=0,
                              start=at(gap_from), end=at(gap_to + M5))
    rec = Recorder(clk)
    await market.run(rec.tick)
    ada = {t.ts for t, _ in rec.ticks if t.symbol == "ADA/BTC"}
    eth = {t.ts for t, _ in rec.ticks if t.symbol == "ETH/BTC"}
    assert at(gap_from) in ada and at(gap_to) in ada
    assert not any(at(gap_from + M5) <= ts < at(gap_to) for ts in ada)
    assert len(eth) == 4 * (gap_to - gap_from) // M5 + 4  # ETH keeps ticking through the gap
    hours = await market.candles("ADA/BTC", "1h", 500)
    # 2018-01-15 12:00 UTC bucket lies fully inside the gap: it does not exist
    assert 1_516_017_600_000 not in set(hours.ts.tolist())


# --- ticks and the clock --------------------------------------------------------------------
def test_tick_path_visits_the_nearer_extreme_first() -> None:
    d = Decimal
    assert tick_path(d("10"), d("11"), d("5"), d("6")) == (d("10"), d("11"), d("5"), d("6"))
    assert tick_path(d("10"), d("15"), d("9"), d("14")) == (d("10"), d("9"), d("15"), d("14"))
    # a tie: a rising candle dips first, a falling candle rallies first
    assert tick_path(d("10"), d("12"), d("8"), d("11"))[1] == d("8")
    assert tick_path(d("10"), d("12"), d("8"), d("9"))[1] == d("12")


async def test_ticks_follow_the_candle_path_with_a_monotonic_clock() -> None:
    clk = clock()
    market = ReplayMarketData(SAMPLE, clk, warmup=300, speed=0)
    rec = Recorder(clk)
    for _ in range(3):
        assert await market.step(rec.tick, rec.bar)
    times = [now for _t, now in rec.ticks]
    assert times == sorted(times)
    assert all(t.ts == now for t, now in rec.ticks)
    start = market.start_time
    assert rec.bars == [start + timedelta(minutes=5 * k) for k in (1, 2, 3)]
    rows = {s: rows_of(SAMPLE / f"{s.replace('/', '_')}-5m.csv") for s in await market.symbols()}
    for symbol, r in rows.items():
        candle = next(x for x in r if at(int(x[0])) == start)
        o, h, lo, c = (Decimal(x) for x in candle[1:5])
        path = [t.price for t, _ in rec.ticks if t.symbol == symbol][:4]
        nearer, farther = (lo, h) if o - lo < h - o or (o - lo == h - o and c >= o) else (h, lo)
        assert path == [o, nearer, farther, c]
        assert [t.ts for t, _ in rec.ticks if t.symbol == symbol][:4] == \
            [start + timedelta(seconds=75 * k) for k in range(4)]
    assert await market.price("ETH/BTC") == Decimal(next(
        x for x in rows["ETH/BTC"] if at(int(x[0])) == start + timedelta(minutes=10))[4])


async def test_prices_are_the_exact_decimals_of_the_file() -> None:
    clk = clock()
    market = ReplayMarketData(SAMPLE, clk, symbols=["ETH/BTC"], warmup=0, speed=0)
    assert await market.price("ETH/BTC") is None
    rec = Recorder(clk)
    await market.step(rec.tick)
    assert [t.price for t, _ in rec.ticks] == [Decimal("0.0984"), Decimal("0.09828605"),
                                              Decimal("0.0994766"), Decimal("0.0994766")]
    assert await market.price("ETH/BTC") == Decimal("0.0994766")


async def test_warmup_start_end_and_progress() -> None:
    clk = clock()
    market = ReplayMarketData(SAMPLE, clk, symbols=["ETH/BTC"], warmup=300, speed=0)
    assert market.start_time == at(T0 + 300 * M5)
    assert not market.finished and market.progress == (0, 5760 - 300)
    rec = Recorder(clk)
    await market.step(rec.tick)
    assert rec.ticks[0][0].ts == at(T0 + 300 * M5)  # the 301st candle is the first replayed
    assert market.progress == (1, 5460)
    assert len(await market.candles("ETH/BTC", "5m", 1000)) == 301

    start, end = datetime(2018, 1, 20, tzinfo=UTC), datetime(2018, 1, 20, 1, tzinfo=UTC)
    clk2 = clock()
    part = ReplayMarketData(SAMPLE, clk2, symbols=["ETH/BTC"], warmup=300, speed=0, start=start, end=end)
    assert part.start_time == start and part.progress == (0, 12)
    rec2 = Recorder(clk2)
    await part.run(rec2.tick, rec2.bar)
    assert part.finished and part.progress == (12, 12) and rec2.bars[-1] == end == clk2.now()
    assert rec2.ticks[0][0].ts == start
    assert len(await part.candles("ETH/BTC", "5m", 1000)) > 300  # warmup history before start
    assert not await part.step(rec2.tick)

    clk3 = clock()
    early = ReplayMarketData(SAMPLE, clk3, symbols=["ETH/BTC"], warmup=300, start=at(T0 + 10 * M5))
    assert early.start_time == at(T0 + 300 * M5)  # too little history before start: warmup wins


async def test_run_paces_itself_by_speed() -> None:
    clk = clock()
    market = ReplayMarketData(SAMPLE, clk, symbols=["ETH/BTC"], warmup=300, speed=100,
                              end=at(T0 + 305 * M5))
    t0 = time.perf_counter()
    await market.run(Recorder(clk).tick)
    assert market.progress == (5, 5)
    assert time.perf_counter() - t0 >= 0.045  # 5 candles at 100 per second


async def test_run_yields_to_other_tasks_at_full_speed() -> None:
    clk = clock()
    market = ReplayMarketData(SAMPLE, clk, symbols=["ETH/BTC"], warmup=300, speed=0,
                              end=at(T0 + 400 * M5))
    beats = 0

    async def other() -> None:
        nonlocal beats
        while True:
            beats += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(other())
    await market.run(Recorder(clk).tick)
    task.cancel()
    assert beats >= 50


async def test_a_clock_already_past_the_warmup_is_respected() -> None:
    clk = ManualClock(at(T0 + 1000 * M5))
    market = ReplayMarketData(SAMPLE, clk, symbols=["ETH/BTC"], warmup=300, speed=0)
    rec = Recorder(clk)
    await market.step(rec.tick)
    assert rec.ticks[0][0].ts == at(T0 + 1000 * M5)


# --- volume and funding ---------------------------------------------------------------------
async def test_quote_volume_sums_the_last_24_hours_of_closed_candles() -> None:
    rows = rows_of(SAMPLE / "LTC_BTC-5m.csv")
    clk = clock()
    market = ReplayMarketData(SAMPLE, clk)
    now = T0 + 400 * M5
    clk.set(at(now))
    expected = sum(float(r[4]) * float(r[5]) for r in rows
                   if now - 86_400_000 < int(r[0]) + M5 <= now)
    assert await market.quote_volume("LTC/BTC") == pytest.approx(expected, rel=1e-12)


async def test_funding_from_a_funding_directory(tmp_path: Path) -> None:
    (tmp_path / "candles").mkdir()
    (tmp_path / "funding").mkdir()
    write_csv(tmp_path / "candles" / "XRP_USDT-5m.csv", [(T0 + k * M5, 1, 1, 1, 1, 1) for k in range(200)])
    write_csv(tmp_path / "candles" / "ETH_USDT-5m.csv", [(T0 + k * M5, 1, 1, 1, 1, 1) for k in range(200)])
    (tmp_path / "funding" / "XRP_USDT-8h-funding.csv").write_text(
        f"timestamp,funding_rate\n{T0 + 50 * M5},0.0001\n{T0 + 100 * M5 + 17},-0.0003\n")
    clk = clock()
    market = ReplayMarketData(tmp_path / "candles", clk, warmup=0)
    clk.set(at(T0 + 10 * M5))
    assert await market.funding_rate("XRP/USDT") is None  # before the first rate
    clk.set(at(T0 + 100 * M5))
    assert await market.funding_rate("XRP/USDT") == 0.0001
    clk.set(at(T0 + 100 * M5 + 17))
    assert await market.funding_rate("XRP/USDT") == -0.0003
    assert await market.funding_rate("ETH/USDT") is None  # no file: no funding


@needs_shared
async def test_funding_of_the_real_perpetual() -> None:
    clk = clock()
    market = ReplayMarketData(SHARED, clk, symbols=["XRP/USDT"], warmup=0)
    clk.set(datetime(2021, 11, 20, 12, tzinfo=UTC))
    with (SHARED.parent / "funding" / "XRP_USDT-8h-funding.csv").open() as fh:
        rows = list(csv.reader(fh))[1:]
    now = int(clk.now().timestamp() * 1000)
    expected = float([r for r in rows if int(r[0]) <= now][-1][1])
    assert await market.funding_rate("XRP/USDT") == expected


async def test_overlapping_steps_replay_each_period_once() -> None:
    clk = clock()
    market = ReplayMarketData(SAMPLE, clk, symbols=["ETH/BTC"], warmup=300, speed=0)
    rec = Recorder(clk)

    async def slow_tick(t: PriceTick) -> None:  # yields to the other steps mid-candle
        await asyncio.sleep(0)
        await rec.tick(t)

    await asyncio.gather(*(market.step(slow_tick, rec.bar) for _ in range(5)))
    assert rec.bars == [market.start_time + timedelta(minutes=5 * k) for k in range(1, 6)]
    assert len(rec.ticks) == 20 and market.progress == (5, 5460)
