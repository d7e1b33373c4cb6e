"""Hedge rounds on replayed candles of two venues (paper): ``signalpilot hedge``.

Each venue replays its own folder ``DIR/<venue>/{BASE}_{QUOTE}-{tf}.csv`` into its own paper broker;
both share one replay clock. The rounds go through the same ``HedgeRunner`` as live: every replayed
price is first matched by the venue's paper broker (resting stops and limits), then given to the
runner. A round opens at the first prices, and again after the cooldown (continuous mode) until
``rounds`` have ended, the data ends (what is still open is force-closed at the last prices), or the
day's realized loss reaches the daily-loss limit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from config.settings import Settings
from engine.clock import ManualClock
from engine.domain.hedge import HedgeRound
from engine.domain.values import HUNDRED, ZERO
from engine.hedge.round import HedgeRunner
from engine.hedge.rules import Rules
from engine.hedge.store import MemoryHedgeStore
from engine.market.base import PriceTick
from engine.venues import VenueHandle, build_replay_venue

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class ReplayOutcome:
    rounds: list[HedgeRound] = field(default_factory=list)
    stopped_by: str | None = None  # "daily_loss" when the loss limit ended the run early
    store: MemoryHedgeStore | None = None


def runner_for(settings: Settings, store: Any, clock: Any, short: VenueHandle, long: VenueHandle,
               **kw: Any) -> HedgeRunner:
    hs = settings.hedge
    return HedgeRunner(store, clock, short, long, Rules(hs.stop_pct, hs.take_pct, hs.take_fallback),
                       leverage=hs.leverage, fill_timeout_s=hs.fill_timeout_s,
                       max_hold=timedelta(minutes=hs.max_hold_min), **kw)


def daily_loss_reached(rounds: list[HedgeRound], now: datetime, equity: Decimal, limit_pct: Decimal) -> bool:
    """The rounds ended today (UTC) lost at least ``limit_pct`` % of ``equity`` (0 = no limit)."""
    if limit_pct <= 0 or equity <= 0:
        return False
    today = now.date()
    pnl = sum((r.pnl for r in rounds if r.ended_at is not None and r.ended_at.date() == today), ZERO)
    return pnl <= -(equity * limit_pct / HUNDRED)


async def run_hedge_replay(settings: Settings, data: Path, symbol: str, size: Decimal, rounds: int,
                           timeframe: str, on_round: Callable[[HedgeRound], None] | None = None) -> ReplayOutcome:
    hs = settings.hedge
    clock = ManualClock(EPOCH)
    short = build_replay_venue(hs.short_venue, settings, clock, data, symbol, timeframe)
    long = build_replay_venue(hs.long_venue, settings, clock, data, symbol, timeframe)
    store = MemoryHedgeStore()
    runner = runner_for(settings, store, clock, short, long, paper=True)
    out = ReplayOutcome(store=store)
    equity = sum([(await v.broker.balance()).equity for v in (short, long)], ZERO)
    cooldown = timedelta(seconds=hs.cooldown_s)
    next_open: datetime | None = None

    def feeder(role: str, venue: VenueHandle) -> Any:
        async def on_tick(tick: PriceTick) -> None:
            await venue.broker.on_price(tick)
            await runner.on_price(role, tick.price)
        return on_tick

    ticks = {"s": feeder("s", short), "l": feeder("l", long)}
    try:
        while len(out.rounds) < rounds:
            moved = [await short.market.step(ticks["s"]), await long.market.step(ticks["l"])]  # type: ignore[attr-defined]
            if not any(moved):
                break
            await runner.check()
            rnd = runner.round
            if rnd is not None and not rnd.is_active and (not out.rounds or out.rounds[-1].id != rnd.id):
                out.rounds.append(rnd)
                next_open = clock.now() + cooldown
                if on_round is not None:
                    on_round(rnd)
                if daily_loss_reached(out.rounds, clock.now(), equity, settings.risk.daily_loss_limit_pct):
                    out.stopped_by = "daily_loss"
                    break
                continue
            if (rnd is None or not rnd.is_active) and len(out.rounds) < rounds \
                    and (next_open is None or clock.now() >= next_open) and all(runner.marks.values()):
                await runner.open(symbol, size)
        if runner.round is not None and runner.round.is_active:  # the data ended: force-close
            await runner.request_stop()
            if runner.round is not None and not runner.round.is_active:
                out.rounds.append(runner.round)
                if on_round is not None:
                    on_round(runner.round)
    finally:
        for venue in (short, long):
            await venue.market.close()
    return out


def round_json(rnd: HedgeRound) -> dict[str, Any]:
    """One round for ``--json``: legs with venue, side, qty, entry, exit, reason, PnL and fees (decimals as
    strings), and the round's PnL."""
    def s(v: Decimal | None) -> str | None:
        return None if v is None else str(v)

    return {
        "id": rnd.id, "symbol": rnd.symbol, "state": rnd.state.value, "size": s(rnd.size), "qty": s(rnd.qty),
        "started_at": rnd.started_at.isoformat(), "ended_at": rnd.ended_at.isoformat() if rnd.ended_at else None,
        "legs": [{"venue": leg.venue, "side": leg.side.value, "qty": s(leg.qty), "state": leg.state.value,
                  "entry": s(leg.entry), "exit": s(leg.exit), "reason": leg.reason.value if leg.reason else None,
                  "pnl": s(leg.pnl), "fees": s(leg.fees)} for leg in rnd.legs],
        "pnl": s(rnd.pnl), "fees": s(rnd.fees),
    }
