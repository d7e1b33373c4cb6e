"""Signal cards' buttons (Confirm / Cancel), /scan and /signal SYMBOL."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot import format as fmt
from bot import keyboards
from bot.callbacks import SignalAction, SignalCb
from bot.delivery import Delivery
from bot.filters import IsAdmin, SymbolArg, SymbolArgument, bad_arg
from bot.handlers.common import card_place, reply, who
from bot.notifier import Notifier, card_markup
from bot.presenters import actions, cards, reports
from config.settings import TelegramSettings
from engine.domain.models import Signal, SignalStatus
from engine.domain.reasons import ExecutionMode, RejectReason
from engine.facade import ConfirmOutcome, Engine

log = logging.getLogger("bot.signals")


def closed_line(signal: Signal | None, reason: RejectReason | str | None,
                detail: dict[str, str] | None = None) -> str:
    """The status line for a signal that can no longer be acted on."""
    if reason == RejectReason.SIGNAL_EXPIRED or (signal and signal.status is SignalStatus.EXPIRED):
        return cards.expired_line()
    if signal is not None and reason in (RejectReason.SIGNAL_CLOSED, None):
        if signal.status is SignalStatus.CONFIRMED:
            return cards.confirmed_line(signal.status_by)
        if signal.status is SignalStatus.CANCELLED:
            return cards.cancelled_line(signal.status_by)
        if signal.status is SignalStatus.REJECTED:
            return cards.rejected_line(signal.reason)
    return cards.rejected_line(reason, detail, fmt.quote_of(signal.symbol) if signal is not None else "")


async def confirm(query: CallbackQuery, callback_data: SignalCb, engine: Engine, tg: TelegramSettings,
                  delivery: Delivery) -> None:
    """Confirm (or "Execute as TWAP": the same, the entry executed as a TWAP)."""
    by = who(query.from_user)
    before = await engine.get_signal(callback_data.id)
    algo = "twap" if callback_data.action is SignalAction.TWAP else None
    result = await engine.confirm(callback_data.id, by, max_drift_pct=tg.max_drift_pct, algo=algo)
    signal = result.signal or before
    place = card_place(query)
    now = engine.clock.now()
    outcome = result.outcome
    if outcome is ConfirmOutcome.DRIFT and signal is not None:
        await query.answer(actions.toast_drift(), show_alert=True)
        if place:
            old = before.entry if before is not None else signal.entry
            text = cards.drift(old, signal, result.price, paper=engine.paper, now=now,
                               stake=await engine.stake(signal))
            delivery.edit_text(*place, text, keyboards.signal_card(signal.id, engine.settings.risk.twap_button))
        return
    if outcome is ConfirmOutcome.OPENED:
        toast, line = actions.toast_opened(), cards.confirmed_line(by)
    elif outcome is ConfirmOutcome.SUBMITTED:
        toast, line = actions.toast_submitted(), cards.submitted_line(by)
    elif outcome is ConfirmOutcome.ALREADY:
        toast = actions.toast_already()
        line = cards.confirmed_line(signal.status_by if signal and signal.status_by else by)
    else:
        expired = result.reason == RejectReason.SIGNAL_EXPIRED
        toast = actions.toast_expired() if expired else actions.toast_rejected()
        line = closed_line(signal, result.reason, result.detail)
    await query.answer(toast, show_alert=outcome is ConfirmOutcome.REJECTED)
    if place and signal is not None:
        delivery.edit_text(*place, cards.final(signal, line, paper=engine.paper, now=now))
    elif place:
        delivery.edit_markup(*place, None)


async def confirm_low(query: CallbackQuery, callback_data: SignalCb, engine: Engine, delivery: Delivery) -> None:
    """First tap on a card below the minimum score: say so, and put the real Confirm button in place."""
    minimum = float(engine.runtime_settings().get("min_score", "0"))
    await query.answer(actions.toast_below_minimum(minimum), show_alert=True)
    place = card_place(query)
    if place is not None:
        delivery.edit_markup(*place, keyboards.signal_card(callback_data.id, engine.settings.risk.twap_button))


async def cancel(query: CallbackQuery, callback_data: SignalCb, engine: Engine, delivery: Delivery) -> None:
    by = who(query.from_user)
    result = await engine.cancel(callback_data.id, by)
    signal = result.signal or await engine.get_signal(callback_data.id)
    place = card_place(query)
    if result.ok:
        await query.answer(actions.toast_cancelled())
        line = cards.cancelled_line(by)
    else:
        await query.answer(actions.toast_cancel_failed(), show_alert=True)
        line = closed_line(signal, result.reason)
    if place and signal is not None:
        delivery.edit_text(*place, cards.final(signal, line, paper=engine.paper, now=engine.clock.now()))
    elif place:
        delivery.edit_markup(*place, None)


async def scan(message: Message, engine: Engine, delivery: Delivery, notifier: Notifier) -> None:
    await reply(message, delivery, actions.scanning())
    result = await engine.scan_now()
    try:  # let the new cards go first, so the summary comes after them
        await notifier.idle(timeout=10)
    except TimeoutError:
        pass
    await reply(message, delivery, reports.scan_result(result))


async def signal(message: Message, engine: Engine, delivery: Delivery, is_admin: bool, arg: SymbolArgument) -> None:
    """Readers may ask too; only admins get the buttons."""
    if arg.problem:
        await reply(message, delivery, bad_arg(arg))
        return
    symbol = arg.symbol
    raised = await engine.analyse(symbol)
    if raised is None:
        await reply(message, delivery, actions.no_data(symbol))
        return
    # Published as on demand (never auto-executed): the card goes to the chat that asked.
    chat = message.chat.id
    settings = engine.runtime_settings()
    mode = settings.get("execution_mode", ExecutionMode.CONFIRM.value)
    minimum = float(settings.get("min_score", "0"))
    text = cards.card(raised, paper=engine.paper, mode=mode, auto=False, now=engine.clock.now(),
                      stake=await engine.stake(raised), min_score=minimum)
    markup = card_markup(raised, mode, False, engine.settings.risk.twap_button) if is_admin else None
    if markup is not None and raised.score < minimum:
        markup = keyboards.signal_card_low(raised.id)
    sent = await delivery.text(chat, text, markup)
    if sent is not None:
        await engine.save_card(raised.id, chat, sent.message_id)


def build_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(confirm, SignalCb.filter(F.action.in_({SignalAction.CONFIRM, SignalAction.TWAP})),
                                   IsAdmin())
    router.callback_query.register(confirm_low, SignalCb.filter(F.action == SignalAction.CONFIRM_LOW), IsAdmin())
    router.callback_query.register(cancel, SignalCb.filter(F.action == SignalAction.CANCEL), IsAdmin())
    router.message.register(scan, Command("scan"), IsAdmin())
    router.message.register(signal, Command("signal"), SymbolArg("/signal SYMBOL"))
    return router
