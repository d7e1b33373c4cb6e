"""Benchmark: price → hedge leg closed, on a stream tick (goal p99 < 50 ms).

Each sample opens a hedge round on two paper venues (the rounds and both paper accounts saved in one
SQLite file, as in a running engine), then one tick at the stop price reaches the engine and the
time until the losing leg is closed and saved is measured. Two cases:
  * ``engine``: the venue has no resting stop (as Backpack): the engine sends a reduce-only market order;
  * ``resting``: the venue's reduce-only stop rests (as the paper venue, Aster): the venue fills it on the
    tick and the round follows the order by client id.
Two times per case: ``fill`` (tick → the reduce-only close filled on the venue: the money is safe) and
``saved`` (tick → the round saved with the leg closed: rules, order, fill, fees, the commits before and
after on SQLite).

Run: .venv/bin/python bench/bench_hedge_reaction.py [--samples 200]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.settings import Settings  # noqa: E402
from engine.clock import ManualClock  # noqa: E402
from engine.domain.hedge import LegState  # noqa: E402
from engine.hedge.replay import EPOCH  # noqa: E402
from engine.hedge.round import HedgeRunner  # noqa: E402
from engine.hedge.rules import Rules  # noqa: E402
from engine.hedge.store import KvHedgeStore  # noqa: E402
from engine.market.base import PriceTick  # noqa: E402
from engine.market.replay import ReplayMarketData  # noqa: E402
from engine.storage.db import Database  # noqa: E402
from engine.storage.repository import Repository  # noqa: E402
from engine.venues import build_paper_venue, paper_store  # noqa: E402
from tests.engine.hedge.data import flat, write_venue  # noqa: E402

SYMBOL = "SOL/USDT"


async def measure(tmp: Path, resting: bool, samples: int) -> list[float]:
    db = Database(f"sqlite+aiosqlite:///{tmp / ('resting' if resting else 'engine')}.db")
    await db.migrate()
    repo = Repository(db)
    clock = ManualClock(EPOCH)
    settings = Settings(_env_file=None, telegram={"token": None})  # type: ignore[call-arg]
    venues = []
    for name in ("aster", "backpack"):
        write_venue(tmp, name, flat(10))
        market = ReplayMarketData(tmp / name, clock, base_timeframe="1m", symbols=[SYMBOL], warmup=0, speed=0)
        venues.append(build_paper_venue(name, settings, clock, market,
                                        store=paper_store(db, name)))
    short, long = venues
    short.resting_stops = resting
    for v in venues:
        await v.market.step(v.broker.on_price)  # type: ignore[attr-defined]
    runner = HedgeRunner(KvHedgeStore(repo), clock, short, long, Rules(Decimal("0.8"), Decimal("1.2")))
    filled_at: list[float] = []
    place = short.broker.place_order

    async def timed_place(request):  # type: ignore[no-untyped-def]
        order = await place(request)  # the venue answers with the fill of a market order
        if request.client_id.split("-")[2] == "scl":
            filled_at.append(time.perf_counter())
        return order
    short.broker.place_order = timed_place  # type: ignore[method-assign]
    times, fills = [], []
    for _ in range(samples):
        for v in venues:  # back to the entry price
            await v.broker.on_price(PriceTick(SYMBOL, Decimal("100"), clock.now()))
        runner.marks = {"s": Decimal("100"), "l": Decimal("100")}
        rnd = await runner.open(SYMBOL, Decimal("25"))
        price = Decimal("101.50")  # the short loses 1.5 %
        started = time.perf_counter()
        await short.broker.on_price(PriceTick(SYMBOL, price, clock.now()))  # the venue's matching
        if resting:
            filled_at.append(time.perf_counter())  # the resting stop filled inside the venue's matching
        await runner.on_price("s", price)  # the stream tick reaches the round
        elapsed = time.perf_counter() - started
        assert runner.round is not None and runner.round.leg("s").state is LegState.CLOSED, rnd
        times.append(elapsed * 1000)
        fills.append((filled_at[-1] - started) * 1000)
        await runner.request_stop()  # the long leg: forced close, round ends
    await db.close()
    return fills, times


def report(name: str, ms: list[float]) -> None:
    q = statistics.quantiles(ms, n=100)
    print(f"{name:14s} n={len(ms)}  p50 {statistics.median(ms):6.2f} ms  p90 {q[89]:6.2f} ms  "
          f"p99 {q[98]:6.2f} ms  max {max(ms):6.2f} ms")


async def main(args: argparse.Namespace) -> int:
    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory(prefix="bench-hedge-") as tmp:
        for resting in (False, True):
            folder = Path(tmp) / ("r" if resting else "e")
            folder.mkdir()
            fills, recorded = await measure(folder, resting, args.samples)
            name = "resting" if resting else "engine"
            report(name + " fill", fills)
            report(name + " saved", recorded)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=200)
    sys.exit(asyncio.run(main(parser.parse_args())))
