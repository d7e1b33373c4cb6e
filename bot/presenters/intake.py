"""Answers to a signal pasted or forwarded as text: which field is missing, or why it was not raised."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from bot import format as fmt
from bot.presenters.words import word
from engine.facade import IntakeOutcome, IntakeResult

FIELD = {
    "symbol": __("the symbol (e.g. BTC/USDT)"),
    "side": __("the side (long or short, 做多 or 做空)"),
    "stop": __("the stop (SL, 止损)"),
    "entry": __("the entry"),
    "targets": __("the targets (TP, 止盈)"),
    "leverage": __("the leverage"),
    "body": __("the text"),
}


def refused(result: IntakeResult) -> str:
    """Why the message did not become a card."""
    outcome, field = result.outcome, result.field or "body"
    if outcome is IntakeOutcome.INVALID and result.detail:
        return "⚠️ " + _("Not traded: {field} is wrong ({detail}).").format(
            field=fmt.esc(word(FIELD, field)), detail=fmt.esc(result.detail))
    if outcome is IntakeOutcome.INVALID:
        return "⚠️ " + _("I could not read a signal: {field} is missing. Nothing was traded.").format(
            field=fmt.esc(word(FIELD, field)))
    if outcome is IntakeOutcome.UNKNOWN_SYMBOL:
        return "⚠️ " + _("Unknown symbol {symbol}: nothing was traded.").format(symbol=fmt.esc(result.detail))
    if outcome is IntakeOutcome.NO_PRICE:
        return "⚠️ " + _("No price for {symbol} yet: nothing was traded.").format(symbol=fmt.esc(result.detail))
    if outcome is IntakeOutcome.RATE_LIMITED:
        return "⏳ " + _("Too many signals this minute; send it again in {seconds} s.").format(
            seconds=int(result.retry_after + 0.999))
    if outcome is IntakeOutcome.DUPLICATE:
        return "ℹ️ " + _("This signal was already received.")
    return "⛔ " + _("No new entries now: the bot is stopping.")
