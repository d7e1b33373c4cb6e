"""/start, /help, /status and /lang."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n

from bot.callbacks import LangCb
from bot.delivery import Delivery
from bot.handlers.common import args, card_place, reply
from bot.i18n import SUPPORTED, LanguageBook
from bot.keyboards import languages
from bot.presenters import actions, reports
from engine.facade import Engine


async def start(message: Message, delivery: Delivery, is_admin: bool) -> None:
    user = message.from_user
    await reply(message, delivery, reports.start(user.first_name if user else "", is_admin, user.id if user else None))


async def help_(message: Message, delivery: Delivery, is_admin: bool) -> None:
    await reply(message, delivery, reports.help_text(is_admin))


async def status(message: Message, delivery: Delivery, engine: Engine) -> None:
    view = await engine.status()
    await reply(message, delivery, reports.status(view, engine.clock.now()))


async def lang(message: Message, delivery: Delivery, book: LanguageBook, i18n: I18n) -> None:
    words = args(message)
    choice = words[0].lower() if words else ""
    if choice not in SUPPORTED or message.from_user is None:
        await reply(message, delivery, actions.lang_usage(), languages())
        return
    await book.set(message.from_user.id, choice)
    with i18n.use_locale(choice):
        await reply(message, delivery, actions.lang_set())


async def lang_button(query: CallbackQuery, callback_data: LangCb, delivery: Delivery, book: LanguageBook,
                      i18n: I18n) -> None:
    await book.set(query.from_user.id, callback_data.lang)
    with i18n.use_locale(callback_data.lang):
        await query.answer(actions.lang_set())
        place = card_place(query)
        if place is not None:
            delivery.edit_markup(*place, None)  # the choice is made: the buttons go
            await delivery.text(place[0], actions.lang_set())


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(start, CommandStart())
    router.message.register(help_, Command("help"))
    router.message.register(status, Command("status"))
    router.message.register(lang, Command("lang"))
    router.callback_query.register(lang_button, LangCb.filter(F.lang.in_(SUPPORTED)))
    return router
