"""Signals as text: an admin pastes or forwards a signal-channel message, or a listed channel posts
one. The engine parses and plans it (``engine.signal_from_text``); an admin gets the card with the
buttons, or a reply naming the missing field. A channel's card goes to the usual chats."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.types import Message

from bot.delivery import Delivery
from bot.filters import IsAdmin
from bot.handlers.common import reply
from bot.notifier import card_markup
from bot.presenters import cards, intake
from engine.domain.reasons import ExecutionMode
from engine.facade import Engine, IntakeOutcome

log = logging.getLogger("bot.intake")


async def pasted(message: Message, engine: Engine, delivery: Delivery) -> None:
    text = message.text or message.caption or ""
    forwarded = message.forward_origin is not None
    result = await engine.signal_from_text(text, source="text")
    if result.outcome is IntakeOutcome.INVALID and result.field in ("symbol", "body") and not forwarded:
        raise SkipHandler  # plain chat, not a signal: the fallback answers
    if result.outcome is not IntakeOutcome.RAISED or result.signal is None:
        await reply(message, delivery, intake.refused(result))
        return
    signal = result.signal
    mode = engine.runtime_settings().get("execution_mode", ExecutionMode.CONFIRM.value)
    text = cards.card(signal, paper=engine.paper, mode=mode, auto=False, now=engine.clock.now())
    sent = await delivery.text(message.chat.id, text, card_markup(signal, mode, False, engine.settings.risk.twap_button))
    if sent is not None:
        await engine.save_card(signal.id, message.chat.id, sent.message_id)


async def channel_post(message: Message, engine: Engine) -> None:
    if not engine.listens_to_channel(message.chat.id):
        return
    text = message.text or message.caption or ""
    result = await engine.signal_from_text(text, source="channel", key=f"{message.chat.id}:{message.message_id}")
    log.info("channel %s post %s: %s %s", message.chat.id, message.message_id, result.outcome.value,
             result.field or "")


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(pasted, F.chat.type == "private", F.text | F.caption, ~F.text.startswith("/"),
                            IsAdmin())
    router.channel_post.register(channel_post, F.text | F.caption)
    return router
