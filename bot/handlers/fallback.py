"""The last router: clear answers to unknown commands, plain text and stale or garbage buttons."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, Message

from bot.delivery import Delivery
from bot.handlers.common import reply
from bot.presenters import actions


async def unknown_command(message: Message, delivery: Delivery, bot: Bot) -> None:
    head = (message.text or "").split()[0]
    if "@" in head:  # /cmd@SomeBot in a group: answer only what is addressed to us
        me = await bot.me()
        if head.split("@", 1)[1].lower() != (me.username or "").lower():
            return
    await reply(message, delivery, actions.unknown_command())


async def not_a_command(message: Message, delivery: Delivery) -> None:
    if message.chat.type != "private":  # in a group, only commands are for the bot
        return
    await reply(message, delivery, actions.not_a_command())


async def stale_button(query: CallbackQuery) -> None:
    await query.answer(actions.stale_button(), show_alert=True)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(unknown_command, F.text.startswith("/"))
    router.message.register(not_a_command)
    router.callback_query.register(stale_button)
    return router
