"""Console front end: without a Telegram token, signal cards and key events are printed as plain text."""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import TextIO

from engine.domain.events import (
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
    TargetHit,
    TradingPaused,
    TradingResumed,
    VenueConnected,
    VenueUnreachable,
)
from engine.facade import Engine


def _p(value: Decimal | None) -> str:
    if value is None:
        return "-"
    return f"{value.normalize():f}"


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
            return f"TP{n} HIT{tag} {p.symbol}: closed {_p(q)}, PnL {_p(pnl)}"
        case StopMovedToBreakeven(position=p, new_stop=stop):
            return f"STOP → breakeven{tag} {p.symbol} at {_p(stop)}"
        case PositionClosed(position=p, reason=reason, pnl=pnl):
            return f"CLOSED{tag} {p.symbol} ({reason.value}) PnL {_p(pnl)}"
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
        case ScanCompleted(symbols=n, raised=raised):
            return f"scan{tag}: {n} symbols, {raised} signals"
    return None


class ConsolePrinter:
    def __init__(self, engine: Engine, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        engine.bus.subscribe(Event, self.on_event)
        if engine.venue_down is not None:  # published at start, before this printer listened
            self.on_event(engine.venue_down)

    def on_event(self, event: Event) -> None:
        text = render(event)
        if text:
            print(f"{event.ts:%Y-%m-%d %H:%M} {text}", file=self.out, flush=True)
