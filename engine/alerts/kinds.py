"""Alert kinds (what SP_ALERTS__*_KINDS name) of the outbox's events, and plain-English text for the
channels that are not Telegram (e-mail, webhook ``text``): factual, one line per fact, no markup."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from engine.domain.events import (
    EngineError,
    Event,
    PositionClosed,
    PositionOpened,
    RiskRejected,
    StopMovedToBreakeven,
    TargetHit,
    TradingPaused,
)
from engine.domain.models import CloseReason
from engine.storage.outbox import event_json

STOP_REASONS = (CloseReason.STOP, CloseReason.BREAKEVEN, CloseReason.TRAILING, CloseReason.LIQUIDATION)


def kinds_of(event: Event) -> set[str]:
    if isinstance(event, PositionOpened):
        return {"entry"}
    if isinstance(event, TargetHit):
        return {"target"}
    if isinstance(event, StopMovedToBreakeven):
        return {"breakeven"}
    if isinstance(event, PositionClosed):
        return {"closed", "stop"} if event.reason in STOP_REASONS else {"closed"}
    if isinstance(event, RiskRejected):
        return {"risk"}
    if isinstance(event, TradingPaused):
        return {"paused"}
    if isinstance(event, EngineError):
        return {"error"}
    return {"other"}


def routed(event: Event, kinds: Collection[str]) -> bool:
    """Whether a channel configured with ``kinds`` takes this alert."""
    return "all" in kinds or bool(kinds_of(event) & set(kinds))


def summary(event: Event) -> str:
    """One line saying what happened."""
    mode = " (paper)" if event.paper else ""
    if isinstance(event, PositionOpened):
        p = event.position
        return f"Position opened{mode}: {p.side.value.upper()} {p.symbol} {p.qty} @ {p.entry_price}, stop {p.stop_price}"
    if isinstance(event, TargetHit):
        p = event.position
        return f"TP{event.target} hit{mode}: {p.symbol} {event.qty} @ {event.price}, PnL {event.pnl}"
    if isinstance(event, StopMovedToBreakeven):
        return f"Stop moved to breakeven{mode}: {event.position.symbol} {event.old_stop} → {event.new_stop}"
    if isinstance(event, PositionClosed):
        p = event.position
        at = f" @ {event.exit_price}" if event.exit_price is not None else ""
        return f"Position closed ({event.reason.value}){mode}: {p.side.value.upper()} {p.symbol}{at}, PnL {event.pnl}"
    if isinstance(event, RiskRejected):
        return f"Entry refused by risk ({event.reason.value}){mode}: {event.signal.side.value.upper()} {event.signal.symbol}"
    if isinstance(event, TradingPaused):
        until = f" until {event.until.isoformat()}" if event.until else ""
        return f"Trading paused ({event.reason.value}){mode}{until}"
    if isinstance(event, EngineError):
        return f"Error ({event.code.value}){mode}: {event.detail}"
    return f"{type(event).__name__}{mode}"


def payload(event: Event) -> dict[str, Any]:
    """The webhook's JSON body: id (for de-duplication), kind, time, a one-line text, the full event."""
    kinds = kinds_of(event)
    return {"id": event.id, "kind": "stop" if "stop" in kinds else min(kinds), "kinds": sorted(kinds), "type": type(event).__name__, "ts": event.ts.isoformat(),
            "paper": event.paper, "text": summary(event), "event": json.loads(event_json(event))}
