"""Benchmark: tick → action latency of the paper engine with many open positions.

A paper engine (PositionManager + PaperBroker on a SQLite file, the risk service booking realized
PnL) holds ``--positions`` open positions over ``--symbols`` symbols (five a symbol by default;
the n-th position of a symbol has its TP1 n steps above the entry, so one tick moves one of them).
Measured, per kind of tick — the time from the price to the protective orders handed to the broker
with the transition committed (and the acknowledgements committed after):

- quiet: a price that moves nothing;
- TP1: TP1 fills, the stop moves to breakeven (new stop placed, old one cancelled);
- stop: the breakeven stop fills, the position closes (its last target cancelled);
- open: one more position opened (entry filled, stop and targets placed) with all the others open.

Each figure is split into database time (``Repository.commit``) and the rest (decision: lifecycle,
paper matching, bookkeeping). Also the process' peak RSS. Targets (issue 9): p99 < 1 ms for quiet,
TP1 and stop ticks; open < 5 ms; RSS < 200 MB.

    .venv/bin/python bench/bench_latency.py [--positions 1000] [--symbols 200] [--samples 200]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.settings import BrokerSettings, RiskSettings  # noqa: E402
from engine.brokers.paper import PaperBroker  # noqa: E402
from engine.bus import EventBus  # noqa: E402
from engine.clock import ManualClock  # noqa: E402
from engine.domain.models import MarketSpec, Signal, Target  # noqa: E402
from engine.domain.values import Side  # noqa: E402
from engine.market.base import PriceTick  # noqa: E402
from engine.positions.manager import PositionManager  # noqa: E402
from engine.risk.service import RiskService  # noqa: E402
from engine.storage.db import Database  # noqa: E402
from engine.storage.paper_rows import PaperRows  # noqa: E402
from engine.storage.repository import Repository, Unit  # noqa: E402

D = Decimal
ENTRY = D("100")
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def spec(symbol: str) -> MarketSpec:
    return MarketSpec(symbol, symbol[:-4], "USDT", price_step=D("0.01"), qty_step=D("0.001"), min_qty=D("0.001"),
                      min_notional=D("1"), max_leverage=50)


class Timed(Repository):
    """The repository, counting the time spent in commits."""

    spent = 0.0
    commits = 0
    per_op: list[int] = []

    async def commit(self, unit: Unit) -> None:
        t = time.perf_counter()
        try:
            await super().commit(unit)
        finally:
            Timed.spent += time.perf_counter() - t
            Timed.commits += 1


def signal(n: int, symbol: str, k: int, now: datetime) -> Signal:
    return Signal(id=f"s{n}", symbol=symbol, side=Side.LONG, score=80.0, factors=(), entry=ENTRY,
                  stop=D("90") - k, targets=(Target(ENTRY + 1 + k, D("0.5")), Target(D("150") + k, D("0.5"))),
                  leverage=5, created_at=now, expires_at=now + timedelta(hours=1))


async def build(workdir: Path, symbols: list[str]) -> tuple[PositionManager, ManualClock]:
    clock = ManualClock(T0)
    db = Database(f"sqlite+aiosqlite:///{workdir / 'bench.db'}")
    await db.migrate()
    repo = Timed(db)
    bus = EventBus()

    async def markets(symbol: str) -> MarketSpec:
        return spec(symbol)

    broker = PaperBroker(BrokerSettings(paper_balance=D("100000000")), clock, markets, store=PaperRows(db))
    await broker.start()
    risk = RiskService(RiskSettings(), repo, bus, clock, paper=True)
    mgr = PositionManager(repo, broker, bus, clock, markets, taker_fee=D("0.0004"),
                          breakeven_buffer_pct=D("0.05"), paper=True, on_realized=risk.book)
    return mgr, clock


def figures(name: str, total: list[float], db: list[float]) -> str:
    def q(xs: list[float], p: float) -> float:
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(p * len(xs)))] * 1e3

    rest = [t - d for t, d in zip(total, db, strict=True)]
    return (f"{name:6} n={len(total):4}  total p50 {q(total, .5):7.3f} ms  p99 {q(total, .99):7.3f} ms  | "
            f"decision p50 {q(rest, .5):6.3f} p99 {q(rest, .99):6.3f}  | commit p50 {q(db, .5):6.3f} "
            f"p99 {q(db, .99):6.3f} ms  (commits/op {statistics.mean(Timed.per_op) if Timed.per_op else 0:.1f})")


async def measure(step, count: int) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    total, db = [], []
    Timed.per_op = []
    for i in range(count):
        spent, commits = Timed.spent, Timed.commits
        t = time.perf_counter()
        await step(i)
        total.append(time.perf_counter() - t)
        db.append(Timed.spent - spent)
        Timed.per_op.append(Timed.commits - commits)
    return total, db


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--positions", type=int, default=1000)
    ap.add_argument("--symbols", type=int, default=200)
    ap.add_argument("--samples", type=int, default=200)
    args = ap.parse_args()
    symbols = [f"S{i:03d}USDT" for i in range(args.symbols)]
    per_symbol = max(1, args.positions // args.symbols)
    with tempfile.TemporaryDirectory() as tmp:
        mgr, clock = await build(Path(tmp), symbols)

        async def tick(symbol: str, price: Decimal) -> None:
            clock.set(clock.now() + timedelta(milliseconds=10))
            await mgr.on_tick(PriceTick(symbol, price, clock.now()))

        started = time.perf_counter()
        for s in symbols:
            await tick(s, ENTRY)
        n = 0
        for k in range(per_symbol):
            for s in symbols:
                n += 1
                await mgr.open(signal(n, s, k, clock.now()), D("1"), single_target=False, trailing_pct=D(0),
                               time_stop=None, liquidation_price=None)
        print(f"{len(mgr.open_positions())} positions open over {len(symbols)} symbols "
              f"in {time.perf_counter() - started:.1f} s")
        samples = min(args.samples, len(symbols))

        async def quiet(i: int) -> None:
            await tick(symbols[i % len(symbols)], ENTRY + D("0.5"))

        async def tp1(i: int) -> None:  # the first position of symbol i: TP1 at entry + 1
            await tick(symbols[i], ENTRY + 1)

        async def stop(i: int) -> None:  # back to the entry: its breakeven stop (just above it) fills
            await tick(symbols[i], ENTRY - D("0.5"))

        async def opening(i: int) -> None:
            await mgr.open(signal(10_000 + i, symbols[i], per_symbol, clock.now()), D("1"), single_target=False,
                           trailing_pct=D(0), time_stop=None, liquidation_price=None)

        q_total, q_db = await measure(quiet, samples)
        print(figures("quiet", q_total, q_db))
        t_total, t_db = await measure(tp1, samples)
        print(figures("TP1", t_total, t_db))
        s_total, s_db = await measure(stop, samples)
        print(figures("stop", s_total, s_db))
        o_total, o_db = await measure(opening, samples)
        print(figures("open", o_total, o_db))
        print(f"open positions at the end: {len(mgr.open_positions())}")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    asyncio.run(main())
