"""Texts for managing an open trade from the chat: usage, the question before the second tap,
the answer after it, and why a change was refused."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from bot import format as fmt
from bot.presenters.words import ADJUST, paper_tag, reject_text, side_word, word
from engine.domain.models import Position
from engine.domain.reasons import AdjustReason
from engine.facade import AdjustResult

USAGE = {
    "close": "/close SYMBOL [50% | QTY] [twap | iceberg]",
    "stop": "/stop SYMBOL PRICE",
    "be": "/be SYMBOL",
    "tp": "/tp SYMBOL N PRICE",
    "add": "/add SYMBOL QTY",
}


def usage(kind: str) -> str:
    return _("Usage: {usage}").format(usage=USAGE[kind])


def _what(pos: Position) -> str:
    return f"{side_word(pos.side)} {fmt.esc(pos.symbol)}"


def refused(result: AdjustResult) -> str:
    if result.reason is AdjustReason.RISK:
        why = reject_text(result.risk_reason, result.detail)
    else:
        why = word(ADJUST, result.reason)
    return "⚠️ " + _("Not done: {why}.").format(why=fmt.esc(why))


def close_part_prompt(pos: Position, result: AdjustResult, paper: bool) -> str:
    text = "❓ " + _("Close {qty} of {what} (held {held}) at market? The stop and the targets are re-sized "
                     "to what remains.").format(qty=fmt.qty(result.qty), what=_what(pos), held=fmt.qty(pos.remaining))
    return text + fmt.esc(paper_tag(paper))


def close_algo_prompt(pos: Position, algo: str, result: AdjustResult, paper: bool) -> str:
    name = "TWAP" if algo == "twap" else _("Iceberg")
    text = "❓ " + _("Close {qty} of {what} (held {held}) in slices ({algo})? The stop and the targets are re-sized "
                     "to what remains after each.").format(qty=fmt.qty(result.qty), what=_what(pos),
                                                           held=fmt.qty(pos.remaining), algo=name)
    return text + fmt.esc(paper_tag(paper))


def stop_prompt(pos: Position, result: AdjustResult, paper: bool) -> str:
    if result.loosened:
        text = "⚠️ " + _("This LOOSENS the stop of {what} from {old} to {new}: more risk. Only an admin can "
                         "confirm it.")
    else:
        text = "❓ " + _("Move the stop of {what} from {old} to {new}?")
    return text.format(what=_what(pos), old=fmt.price(pos.stop_price), new=fmt.price(result.price)) \
        + fmt.esc(paper_tag(paper))


def breakeven_prompt(pos: Position, result: AdjustResult, paper: bool) -> str:
    return "❓ " + _("Move the stop of {what} to breakeven ({new})?").format(
        what=_what(pos), new=fmt.price(result.price)) + fmt.esc(paper_tag(paper))


def target_prompt(pos: Position, n: int, result: AdjustResult, paper: bool) -> str:
    return "❓ " + _("Move TP{n} of {what} from {old} to {new}?").format(
        n=n, what=_what(pos), old=fmt.price(pos.targets[n - 1].price), new=fmt.price(result.price)) \
        + fmt.esc(paper_tag(paper))


def add_prompt(pos: Position, result: AdjustResult, paper: bool) -> str:
    return "❓ " + _("Add {qty} to {what} at market? The breakeven price is re-planned and the stop and "
                     "targets cover the new size.").format(qty=fmt.qty(result.qty), what=_what(pos)) \
        + fmt.esc(paper_tag(paper))


def done(result: AdjustResult) -> str:
    pos = result.position
    if not result.ok or pos is None:
        return refused(result)
    if not pos.is_open:
        return "✅ " + _("Closed {symbol}: PnL {pnl}.").format(symbol=fmt.esc(pos.symbol),
                                                            pnl=fmt.money(pos.realized_pnl, signed=True))
    return "✅ " + _("{symbol}: {held} held at {entry}, stop {stop}.").format(
        symbol=fmt.esc(pos.symbol), held=fmt.qty(pos.remaining), entry=fmt.price(pos.entry_price),
        stop=fmt.price(pos.stop_price))


def expired() -> str:
    return _("This request has expired or was already used.")


def kept() -> str:
    return _("Nothing changed.")
