"""Console front end: without a Telegram token, signal cards and key events are printed as plain text;
on a replay the run ends with a summary when the data is finished."""

from __future__ import annotations

import asyncio
import sys
from datetime import date
from decimal import Decimal
from typing import TextIO

from bot import format as fmt
from bot.demo import banner
from config.settings import Settings
from engine.domain.events import (
    AlgoProgressed,
    EngineError,
    Event,
    PanicCompleted,
    PositionClosed,
    PositionOpened,
    RiskRejected,
    ScanCompleted,
    SignalExpired,
    SignalRaised,
    StopMovedToBreakeven,
    StorageFailed,
    TargetHit,
    TradingPaused,
    TradingResumed,
    VenueConnected,
    VenueUnreachable,
)
from engine.domain.models import Position
from engine.facade import Engine, RunSummary


def _p(value: Decimal | None) -> str:
    if value is None:
        return "-"
    return f"{value.normalize():f}"


def _pnl(value: Decimal, p: Position) -> str:
    """The same money format as the Telegram messages: currency, rounding for it, % of the margin."""
    return fmt.position_pnl(value, p.symbol, p.entry_price, p.qty, p.leverage)


def render(event: Event) -> str | None:
    tag = " (paper)" if event.paper else ""
    match event:
        case SignalRaised(signal=s, auto=auto):
            targets = "  ".join(f"TP{i + 1} {_p(t.price)} ({int(t.share * 100)}%)" for i, t in enumerate(s.targets))
            why = ", ".join(f"{f.name} {f.contribution:+.0f}" for f in s.top_factors(3))
            action = "executing" if auto else "waiting for confirmation"
            return (f"SIGNAL{tag} {s.symbol} {s.side.value.upper()} score {s.score:.0f}/100 [{why}]\n"
                    f"  entry {_p(s.entry)}  stop {_p(s.stop)}  {targets}  leverage {s.leverage}x  — {action}")
        case PositionOpened(position=p):
            return f"ENTRY FILLED{tag} {p.symbol} {p.side.value} qty {_p(p.qty)} @ {_p(p.entry_price)}"
        case TargetHit(position=p, target=n, qty=q, pnl=pnl):
            return f"TP{n} HIT{tag} {p.symbol}: closed {_p(q)}, PnL {_pnl(pnl, p)}"
        case StopMovedToBreakeven(position=p, new_stop=stop):
            return f"STOP → breakeven{tag} {p.symbol} at {_p(stop)}"
        case PositionClosed(position=p, reason=reason, pnl=pnl):
            return f"CLOSED{tag} {p.symbol} ({reason.value}) PnL {_pnl(pnl, p)}"
        case RiskRejected(signal=s, reason=reason):
            return f"REJECTED{tag} {s.symbol}: {reason.value}"
        case SignalExpired(signal=s):
            return f"EXPIRED{tag} {s.symbol} signal"
        case TradingPaused(reason=reason, until=until):
            return f"PAUSED{tag}: {reason.value}" + (f" until {until:%Y-%m-%d %H:%M} UTC" if until else "")
        case TradingResumed():
            return f"RESUMED{tag}"
        case PanicCompleted(items=items):
            return f"PANIC done{tag}: " + ", ".join(f"{i.symbol} {i.kind} {'ok' if i.ok else 'FAILED ' + i.detail}" for i in items)
        case EngineError(code=code, detail=detail):
            return f"ERROR{tag} {code.value}: {detail}"
        case VenueUnreachable(venue=venue, detail=detail):
            return f"EXCHANGE UNREACHABLE{tag} {venue}: {detail} — retrying in the background"
        case VenueConnected(venue=venue, markets=n):
            return f"EXCHANGE CONNECTED{tag} {venue}: {n} markets, scanning resumed"
        case StorageFailed():
            return "DATABASE FAILED" + tag + ": " + storage_line(event)
        case AlgoProgressed(position=p, kind=kind, done=done, slices=n, avg_price=avg, status=status):
            what = kind.upper() if event.entry else f"{kind.upper()} exit"
            return f"{what}{tag} {p.symbol} {done}/{n}, avg {_p(avg) if avg is not None else '—'} ({status})"
        case ScanCompleted(symbols=n, raised=raised):
            return f"scan{tag}: {n} symbols, {raised} signals"
    return None


def storage_line(event: StorageFailed) -> str:
    """One line on why the process stops after a storage failure (console and exit message)."""
    why = event.fault.value.replace("_", " ")
    return (f"the database stopped taking writes ({why}: {event.detail or '-'}). No new entries; stop and "
            "take-profit orders stay on the exchange. Fix the database, then start SignalPilot again.")


class ConsolePrinter:
    """Prints every event it can render. With ``quiet_scans`` (a fast replay) a scan that raised nothing
    is printed once per replayed day, as a heartbeat, instead of every hour."""

    def __init__(self, engine: Engine, out: TextIO | None = None, *, quiet_scans: bool = False) -> None:
        self.out = out or sys.stdout
        self.quiet_scans = quiet_scans
        self._scan_day: date | None = None
        engine.bus.subscribe(Event, self.on_event)
        if engine.venue_down is not None:  # published at start, before this printer listened
            self.on_event(engine.venue_down)

    def on_event(self, event: Event) -> None:
        if self.quiet_scans and isinstance(event, ScanCompleted) and not event.raised:
            if event.ts.date() == self._scan_day:
                return
            self._scan_day = event.ts.date()
        text = render(event)
        if text:
            print(f"{event.ts:%Y-%m-%d %H:%M} {text}", file=self.out, flush=True)


def summary_text(s: RunSummary, paper: bool = True) -> str:
    """The end-of-replay summary: trades, win rate, return %, max drawdown."""
    equity = f"{fmt.money(s.initial_equity, s.currency)} → {fmt.money(s.final_equity, s.currency)}"
    rows = [
        ("trades", f"{s.summary.trades}"),
        ("win rate", f"{s.summary.win_rate:.1%}"),
        ("return", f"{fmt.pct(s.return_pct)} ({equity})"),
        ("max drawdown", f"{s.summary.max_drawdown:.2%}"),
        ("fees", fmt.money(Decimal(repr(s.summary.fees)), s.currency)),
    ]
    head = f"Replay finished: summary of {s.start:%Y-%m-%d %H:%M} → {s.end:%Y-%m-%d %H:%M} UTC"
    head += " (paper)" if paper else ""
    return "\n".join([head] + [f"  {k.ljust(13)} {v}" for k, v in rows])


async def run_console(engine: Engine, settings: Settings, stop: asyncio.Event, out: TextIO | None = None) -> None:
    """The console front end of ``signalpilot run``: until ``stop``, or on a replay until its data is
    finished — then open positions are closed at the last price and the summary printed."""
    out = out or sys.stdout
    window = await engine.replay_window()
    print(banner(settings, window, engine.runtime_settings()["execution_mode"]), file=out, flush=True)
    ConsolePrinter(engine, out, quiet_scans=window is not None)
    waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(engine.replay_finished.wait())]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()
    if engine.replay_finished.is_set() and not stop.is_set():
        print(summary_text(await engine.finish_replay(), engine.paper), file=out, flush=True)
