"""The bot killed with SIGKILL inside a TWAP entry, then restarted on the same database.

Each run: a child process (crash_child.py) opens a position on BTC on a FakeBinance of this
process, executed as a TWAP (every entry: SP_RISK__ALGO_ABOVE_NOTIONAL=1) of 6 slices over 6 s,
and kills itself right after a commit inside the run (engine/crashpoints.py): a slice saved with
the run's state but not sent, a slice acknowledged, a slice's fill recorded; one run kills twice
(the second child dies at its first commit: inside the start-up recovery of what the first left);
one run is an iceberg entry. Then the same for a TWAP exit (a plain entry, then the whole position
closed in 6 reduce-only slices): killed at an exit slice saved, and at an exit slice's fill.
The price stays where it is (re-published every 50 ms so that ticks keep coming).

A fresh engine here on the same SQLite file then resumes the run and, once it is over, the venue
and the database must show: every slice client id used exactly once (none sent twice, none lost),
the quantity filled on the venue equal to the planned total and to the position held, the
position protected by one stop covering it, every fill of ours recorded.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.domain.algos import AlgoStatus
from engine.domain.models import Leg
from engine.storage.db import Database
from engine.storage.repository import Repository
from tests.engine.live.crash_run import HANG_GUARD, CrashLab, _spec
from tests.engine.live.harness import (
    BTC,
    CHURN,
    VENUE_ID,
    audit,
    build_live_engine,
    client_id_of_trade,
    live_settings,
)
from tests.fakes.binance import FakeBinance

TWAP = {"algo_above_notional": "1", "algo_kind": "twap", "twap_minutes": "0.1", "twap_slices": 6,
        "twap_jitter_pct": "20"}
ICEBERG = {"algo_above_notional": "1", "algo_kind": "iceberg", "iceberg_visible_pct": "25"}
RUNS: tuple[tuple[str, ...], ...] = (
    ("twap-entry-persisted#3",),  # slice 2 saved with the run's state, not sent
    ("twap-entry-acknowledged#2",),  # slice 1 acknowledged by the venue
    ("twap-entry-fill-recorded#3",),  # slice 2's fill recorded (and applied: one commit)
    ("twap-entry-persisted#2", "commit#1"),  # then again inside the start-up recovery
    ("iceberg-entry-persisted#3",),  # an iceberg: the third visible part saved, not sent
)


async def _wiggle(fake: FakeBinance, stop: asyncio.Event) -> None:
    """The same price again and again: ticks for the engines, nothing crossed."""
    price = fake.exchange.tickers[VENUE_ID[BTC]].last
    while not stop.is_set():
        fake.set_price(VENUE_ID[BTC], price)
        await asyncio.sleep(0.05)


async def one_run(run: int, lab: CrashLab, crash_at: tuple[str, ...]) -> dict[str, Any]:
    algo = ICEBERG if crash_at[0].startswith("iceberg") else TWAP
    leg = Leg.ICEBERG_ENTRY.value if algo is ICEBERG else Leg.TWAP_ENTRY.value
    loop = asyncio.get_running_loop()
    notes: list[str] = []
    async with FakeBinance(seed=run) as fake:
        path = lab.workdir / f"twap{run}.db"
        await lab.migrated_copy(path)
        db = f"sqlite+aiosqlite:///{path}"
        stop = asyncio.Event()
        wiggler = asyncio.ensure_future(_wiggle(fake, stop))
        died: list[str | None] = []
        try:
            for point in crash_at:
                child = await lab.zygote.fork({"url": fake.http_base, "db": db, "symbols": [BTC], "risk": algo,
                                               "crash_at": _spec(point)})
                deadline = loop.time() + HANG_GUARD
                while not child.ended and loop.time() < deadline:
                    await asyncio.sleep(0.02)
                if not child.ended:
                    notes.append(f"child never reached {point}:\n{child.tail()}")
                    await child.kill()
                died.append(child.crashed_at())
            saved, at_kill = await _at_kill(db, fake, leg)
            engine = await build_live_engine(live_settings(fake.http_base, db, risk={**CHURN, **algo}))
            try:
                async with lab.migrations:
                    await engine.start(run_feed=True, run_jobs=False)
                (pos,) = await engine.repository.open_positions()
                deadline = loop.time() + HANG_GUARD
                while loop.time() < deadline:
                    runs = (await engine.repository.algos_for_positions([pos.id]))[pos.id]
                    if runs and all(r.status.is_final for r in runs) and not engine.manager.queued_fills():
                        break
                    await asyncio.sleep(0.05)
                await engine.reconcile_now()
                (run_state,) = (await engine.repository.algos_for_positions([pos.id]))[pos.id]
                held = engine.manager.position(pos.id) or await engine.repository.get_position(pos.id)
                report = await audit(fake, engine)
            finally:
                await engine.stop()
        finally:
            stop.set()
            await wiggler
        prefix = f"sp-{pos.id}-{leg}-0-"
        sent = sorted(o.client_id for o in fake.orders.values() if o.client_id.startswith(prefix))
        filled = sum((t.qty for t in fake.trades if client_id_of_trade(fake, t).startswith(prefix)), Decimal(0))
        venue = fake.positions.get((VENUE_ID[BTC], "BOTH"))
    return {"run": run, "asked": [_spec(p) for p in crash_at], "died": died, "notes": notes, "sent": sent,
            "saved_not_sent": sorted(set(saved) - set(at_kill)),
            "slices": [f"{prefix}{i}" for i in range(run_state.slices)], "status": run_state.status,
            "planned": run_state.total, "filled": filled, "held": held.remaining if held else None,
            "venue": venue.amt if venue else Decimal(0), "audit": report}


async def _at_kill(db: str, fake: FakeBinance, leg: str) -> tuple[list[str], list[str]]:
    """The slices the database holds and those the venue has, as the kill left them."""
    database = Database(db)
    try:
        (pos,) = await Repository(database).open_positions()
        saved = [o.client_id for o in await Repository(database).orders_for(pos.id) if o.leg == leg]
    finally:
        await database.close()
    return saved, [o.client_id for o in fake.orders.values() if o.client_id in saved]


async def test_sigkill_inside_a_twap_then_restart_resumes_it_no_slice_twice_none_lost(tmp_path: Path) -> None:
    async with CrashLab(tmp_path) as lab:
        results = [await one_run(n, lab, crash_at) for n, crash_at in enumerate(RUNS)]
    for r in results:
        detail = f"run {r['run']}: {r}"
        assert not r["notes"] and r["died"] == r["asked"], detail  # each child died where it was told
        assert r["status"] is AlgoStatus.DONE, detail
        assert len(r["slices"]) == (5 if r["asked"][0].startswith("iceberg") else 6), detail  # 4 × 25 % + a rest
        assert r["sent"] == r["slices"], detail  # each slice once, none lost
        if r["asked"][0].endswith("-persisted#3"):  # a slice saved, never sent: looked up, then sent once
            assert len(r["saved_not_sent"]) == 1, detail
        assert r["filled"] == r["planned"] == r["held"] == r["venue"], detail  # all planned filled, and held
        a = r["audit"]
        assert a.ok, detail  # no duplicate ids, protected by one stop covering it, every fill recorded


EXIT_RUNS: tuple[str, ...] = ("twap-exit-persisted#3", "twap-exit-fill-recorded#2")
EXIT = {"twap_minutes": "0.1", "twap_slices": 6}


async def exit_run(run: int, lab: CrashLab, point: str) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    async with FakeBinance(seed=100 + run) as fake:
        path = lab.workdir / f"twap-exit{run}.db"
        await lab.migrated_copy(path)
        db = f"sqlite+aiosqlite:///{path}"
        stop = asyncio.Event()
        wiggler = asyncio.ensure_future(_wiggle(fake, stop))
        try:
            child = await lab.zygote.fork({"url": fake.http_base, "db": db, "symbols": [BTC], "risk": EXIT,
                                           "exit": "twap", "crash_at": _spec(point)})
            deadline = loop.time() + HANG_GUARD
            while not child.ended and loop.time() < deadline:
                await asyncio.sleep(0.02)
            if not child.ended:
                await child.kill()
            died = child.crashed_at()
            engine = await build_live_engine(live_settings(fake.http_base, db, risk={**CHURN, **EXIT}))
            try:
                async with lab.migrations:
                    await engine.start(run_feed=True, run_jobs=False)
                (pos,) = await engine.repository.open_positions()
                deadline = loop.time() + HANG_GUARD
                while engine.manager.position(pos.id) is not None and loop.time() < deadline:
                    await asyncio.sleep(0.05)
                await engine.reconcile_now()
                (run_state,) = (await engine.repository.algos_for_positions([pos.id]))[pos.id]
                final = await engine.repository.get_position(pos.id)
                report = await audit(fake, engine)
            finally:
                await engine.stop()
        finally:
            stop.set()
            await wiggler
        prefix = f"sp-{pos.id}-{Leg.TWAP_EXIT.value}-0-"
        sent = sorted(o.client_id for o in fake.orders.values() if o.client_id.startswith(prefix))
        sold = sum((t.qty for t in fake.trades if client_id_of_trade(fake, t).startswith(prefix)), Decimal(0))
        flat = (VENUE_ID[BTC], "BOTH") not in fake.positions
    return {"run": run, "asked": _spec(point), "died": died, "sent": sent, "status": run_state.status,
            "slices": [f"{prefix}{i}" for i in range(run_state.slices)], "planned": run_state.total, "sold": sold,
            "final": final, "flat": flat, "audit": report}


async def test_sigkill_inside_a_twap_exit_then_restart_finishes_it_no_slice_twice(tmp_path: Path) -> None:
    async with CrashLab(tmp_path) as lab:
        results = [await exit_run(n, lab, point) for n, point in enumerate(EXIT_RUNS)]
    for r in results:
        detail = f"exit run {r['run']}: {r}"
        assert r["died"] == r["asked"], detail
        assert r["status"] is AlgoStatus.DONE and len(r["slices"]) == 6 and r["sent"] == r["slices"], detail
        final = r["final"]
        assert final is not None and final.remaining == 0 and not final.is_open, detail
        assert r["sold"] == r["planned"] == final.qty == sum((e.qty for e in final.exits), Decimal(0)), detail
        assert r["flat"] and r["audit"].ok, detail
