"""Alerts for the key events of a trade: entry, TP1 (with breakeven), TP2, stops, exits,
rejections, pauses, errors that need a human, and the exchange lost or found at start. English keeps TP1, TP2, stop and
breakeven literally."""

from __future__ import annotations

from decimal import Decimal

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from bot import format as fmt
from bot.presenters.words import CLOSE, ERROR, PAUSE, paper_tag, reject_text, side_word, word
from engine.domain.events import (
    EngineError,
    EntryNotFilled,
    PositionClosed,
    PositionOpened,
    RiskRejected,
    StopMovedToBreakeven,
    StorageFailed,
    StorageFault,
    TargetHit,
    TradingPaused,
    VenueConnected,
    VenueUnreachable,
)
from engine.domain.markets import is_ashare_symbol
from engine.domain.models import CloseReason, Position


def _head(icon: str, title: str, position: Position, paper: bool) -> str:
    return (f"{icon} <b>{fmt.esc(title)}</b> · {side_word(position.side)} {fmt.esc(position.symbol)}"
            f"{fmt.esc(paper_tag(paper))}")


def _ccy(position: Position) -> str:
    return fmt.quote_of(position.symbol)


def _trade_pnl(value: Decimal, position: Position) -> str:
    """A PnL with the return on the position's margin beside it."""
    return fmt.position_pnl(value, position.symbol, position.entry_price, position.qty, position.leverage)


def entry_filled(ev: PositionOpened) -> str:
    pos = ev.position
    lines = [_head("📥", _("Entry partly filled") if ev.partial else _("Entry filled"), pos, ev.paper)]
    if is_ashare_symbol(pos.symbol):
        lines.append(_("{qty} shares at {price} CNY").format(qty=fmt.qty(pos.qty), price=fmt.price(pos.entry_price)))
    else:
        lines.append(_("{qty} at {price}, leverage {leverage}×").format(
            qty=fmt.qty(pos.qty), price=fmt.price(pos.entry_price), leverage=pos.leverage))
    targets = " · ".join(f"TP{n} {fmt.price(t.price)}" for n, t in enumerate(pos.targets, start=1))
    lines.append(_("Stop {price}").format(price=fmt.price(pos.stop_price)) + (" · " + targets if targets else ""))
    if ev.partial:
        lines.append(_("The rest of the limit order keeps working until its fill threshold or timeout; "
                       "the stop and targets grow with each fill."))
    if ev.single_target:
        lines.append(_("Too small to split: the whole position exits at the first target."))
    if is_ashare_symbol(pos.symbol):
        lines.append(_("Cannot exit yet (T+1): the stop and targets are armed from the next trading session."))
    return "\n".join(lines)


def entry_not_filled(ev: EntryNotFilled) -> str:
    head = _head("⌛", _("Entry not filled"), ev.position, ev.paper) + "\n"
    if ev.by == "limit":
        return head + _("The limit order at {price} filled nothing in time and was cancelled.").format(
            price=fmt.price(ev.position.entry_price))
    return head + _("The {algo} entry ended before any slice filled: nothing is held.").format(
        algo="TWAP" if ev.by == "twap" else _("iceberg"))


def target_hit(hit: TargetHit, breakeven: StopMovedToBreakeven | None = None,
               closed: PositionClosed | None = None) -> str:
    """One alert for a target: what was closed and its PnL, plus the breakeven move or the final PnL."""
    pos = hit.position
    title = _("TP{n} hit").format(n=hit.target)
    lines = [_head("🎯", title, pos, hit.paper)]
    initial = pos.qty or hit.qty
    part = fmt.share(hit.qty / initial) if initial else fmt.qty(hit.qty)
    lines.append(_("Closed {share} ({qty}) at {price}, PnL {pnl}").format(
        share=part, qty=fmt.qty(hit.qty), price=fmt.price(hit.price), pnl=_trade_pnl(hit.pnl, pos)))
    if breakeven is not None:
        lines.append(_("Stop moved to breakeven: {price}").format(price=fmt.price(breakeven.new_stop)))
    elif hit.new_stop is not None and closed is None:
        lines.append(_("Stop moved to {price}").format(price=fmt.price(hit.new_stop)))
    if closed is not None:
        lines.append(_("Position closed. Total PnL {pnl} (fees {fees})").format(
            pnl=_trade_pnl(closed.pnl, pos), fees=fmt.money(closed.fees, _ccy(pos))))
    return "\n".join(lines)


def breakeven_moved(ev: StopMovedToBreakeven) -> str:
    lines = [_head("⚖️", _("Stop moved to breakeven"), ev.position, ev.paper)]
    lines.append(_("Stop {old} → {new}").format(old=fmt.price(ev.old_stop), new=fmt.price(ev.new_stop)))
    return "\n".join(lines)


def position_closed(ev: PositionClosed) -> str:
    pos = ev.position
    titles = {
        CloseReason.STOP: ("🛑", _("Stop hit")),
        CloseReason.BREAKEVEN: ("⚖️", _("Breakeven stop hit")),
        CloseReason.TRAILING: ("📉", _("Trailing stop hit")),
        CloseReason.TIME: ("⏱", _("Time exit")),
        CloseReason.MANUAL: ("✋", _("Closed by hand")),
        CloseReason.PANIC: ("🚨", _("Closed by panic")),
        CloseReason.LIQUIDATION: ("💥", _("Liquidated")),
        CloseReason.EXTERNAL: ("❔", _("Closed outside the bot")),
        CloseReason.TARGET: ("🏁", _("Final target hit")),
        CloseReason.MAX_LOSS: ("🧯", _("Closed at the position loss cap")),
    }
    icon, title = titles.get(ev.reason, ("🏁", word(CLOSE, ev.reason)))
    lines = [_head(icon, title, pos, ev.paper)]
    if ev.exit_price is not None:
        lines.append(_("Exit at {price}").format(price=fmt.price(ev.exit_price)))
    lines.append(_("Total PnL {pnl} (fees {fees})").format(
        pnl=_trade_pnl(ev.pnl, pos), fees=fmt.money(ev.fees, _ccy(pos))))
    return "\n".join(lines)


def risk_rejected(ev: RiskRejected) -> str:
    sig = ev.signal
    title = fmt.esc(_("Entry refused"))
    head = f"🚫 <b>{title}</b> · {side_word(sig.side)} {fmt.esc(sig.symbol)}{fmt.esc(paper_tag(ev.paper))}"
    why = _("Why: {why}.").format(why=fmt.esc(reject_text(ev.reason, ev.detail, fmt.quote_of(sig.symbol))))
    return head + "\n" + why


def trading_paused(ev: TradingPaused) -> str:
    head = "⏸ <b>" + fmt.esc(_("New entries paused")) + "</b>" + fmt.esc(paper_tag(ev.paper))
    lines = [head, _("Why: {why}.").format(why=fmt.esc(word(PAUSE, ev.reason)))]
    if ev.until is not None:
        lines.append(_("Until {when}. Open positions are still managed.").format(when=fmt.when(ev.until)))
    else:
        lines.append(_("Until /resume. Open positions are still managed."))
    return "\n".join(lines)


def engine_error(ev: EngineError, symbol: str | None = None) -> str:
    head = "⚠️ <b>" + fmt.esc(_("Needs attention")) + "</b>" + fmt.esc(paper_tag(ev.paper))
    what = word(ERROR, ev.code)
    lines = [head, fmt.esc(what) + (f" · {fmt.esc(symbol)}" if symbol else "")]
    if ev.detail:
        lines.append(f"<code>{fmt.esc(ev.detail[:500])}</code>")
    return "\n".join(lines)


def venue_unreachable(ev: VenueUnreachable) -> str:
    head = "📡 <b>" + fmt.esc(_("Exchange unreachable")) + "</b> · " + fmt.esc(ev.venue) + fmt.esc(paper_tag(ev.paper))
    lines = [head, _("Since {when}. I keep retrying; commands still work. Scanning and trading start when "
                     "the exchange answers.").format(when=fmt.when(ev.since, ev.ts))]
    if ev.detail:
        lines.append(f"<code>{fmt.esc(ev.detail[:300])}</code>")
    return "\n".join(lines)


def venue_connected(ev: VenueConnected) -> str:
    head = "✅ <b>" + fmt.esc(_("Exchange reachable again")) + "</b> · " + fmt.esc(ev.venue) + fmt.esc(paper_tag(ev.paper))
    since = _("Unreachable since {when}.").format(when=fmt.when(ev.down_since, ev.ts)) if ev.down_since else ""
    done = _("Markets loaded ({n}), state reconciled; scanning and trading resumed.").format(n=ev.markets)
    return "\n".join(line for line in (head, since, done) if line)


STORAGE = {
    StorageFault.READ_ONLY: __("the database is read-only"),
    StorageFault.DISK_FULL: __("the disk is full"),
    StorageFault.IO_ERROR: __("the disk reports an I/O error"),
    StorageFault.CORRUPT: __("the database file is damaged"),
    StorageFault.GONE: __("the database cannot be reached"),
}


def storage_failed(ev: StorageFailed) -> str:
    """Rendered without the database (no stored language, no card): it is what failed."""
    head = "🛑 <b>" + fmt.esc(_("The database stopped taking writes")) + "</b>" + fmt.esc(paper_tag(ev.paper))
    lines = [head, _("Why: {why}.").format(why=fmt.esc(str(STORAGE.get(ev.fault, ev.fault.value))))]
    lines.append(_("No new entries. Stop and take-profit orders stay on the exchange."))
    lines.append(_("SignalPilot is stopping: fix the database, then start it again."))
    if ev.detail:
        lines.append(f"<code>{fmt.esc(ev.detail[:300])}</code>")
    return "\n".join(lines)
