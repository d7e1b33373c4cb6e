"""The summary of alerts that waited too long for Telegram: one message instead of a flood."""

from __future__ import annotations

from decimal import Decimal

from aiogram.utils.i18n import gettext as _

from bot import format as fmt
from bot.presenters.words import CLOSE, ERROR, PAUSE, word
from engine.domain.events import (
    EngineError,
    EntryNotFilled,
    Event,
    PositionClosed,
    PositionOpened,
    RiskRejected,
    StopMovedToBreakeven,
    TargetHit,
    TradingPaused,
)
from engine.domain.hedge import HedgeEvent
from engine.domain.models import Position

MAX_LINES = 20


def _trade_pnl(value: Decimal, pos: Position) -> str:
    return fmt.position_pnl(value, pos.symbol, pos.entry_price, pos.qty, pos.leverage)


def _line(event: Event) -> str:
    """One short line per alert: what happened, to which market."""
    if isinstance(event, PositionOpened):
        return _("Entry filled") + " · " + fmt.esc(event.position.symbol)
    if isinstance(event, TargetHit):
        return (_("TP{n} hit").format(n=event.target) + " · " + fmt.esc(event.position.symbol)
                + " · " + _trade_pnl(event.pnl, event.position))
    if isinstance(event, StopMovedToBreakeven):
        return _("Stop moved to breakeven") + " · " + fmt.esc(event.position.symbol)
    if isinstance(event, PositionClosed):
        return (fmt.esc(word(CLOSE, event.reason)) + " · " + fmt.esc(event.position.symbol) + " · "
                + _("Total PnL {pnl} (fees {fees})").format(
                    pnl=_trade_pnl(event.pnl, event.position), fees=fmt.money(event.fees, fmt.quote_of(event.position.symbol))))
    if isinstance(event, RiskRejected):
        return _("Entry refused") + " · " + fmt.esc(event.signal.symbol)
    if isinstance(event, TradingPaused):
        return _("New entries paused") + " · " + fmt.esc(word(PAUSE, event.reason))
    if isinstance(event, EntryNotFilled):
        return _("Entry not filled") + " · " + fmt.esc(event.position.symbol)
    if isinstance(event, EngineError):
        return _("Needs attention") + " · " + fmt.esc(word(ERROR, event.code))
    if isinstance(event, HedgeEvent):
        return _("Hedge") + " · " + fmt.esc(event.symbol) + " · " + fmt.esc(event.kind.value)
    return fmt.esc(type(event).__name__)


def missed_summary(events: list[Event]) -> str:
    """``events`` oldest first; the newest ``MAX_LINES`` are listed with their time."""
    head = "🗂 <b>" + fmt.esc(_("Older alerts, not delivered in time: {n}").format(n=len(events))) + "</b>"
    lines = [head, fmt.esc(_("Telegram could not be reached. What happened meanwhile:"))]
    shown = events[-MAX_LINES:]
    if len(events) > len(shown):
        lines.append(fmt.esc(_("… {n} earlier not shown").format(n=len(events) - len(shown))))
    lines.extend(f"• {fmt.esc(fmt.when(e.ts))} · {_line(e)}" for e in shown)
    lines.append(fmt.esc(_("/positions and /history show the current state.")))
    return "\n".join(lines)
