"""/pause, /resume and /panic (a red second tap that expires; one run at a time). Admins only:
the router carries ``IsAdmin``; refusals come from ``bot.handlers.refusals``."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot import keyboards
from bot.callbacks import PanicAction, PanicCb
from bot.delivery import Delivery
from bot.filters import IsAdmin
from bot.format import split_text
from bot.handlers.common import card_place, reply, who
from bot.panic import PanicDesk
from bot.presenters import actions
from engine.facade import Engine

log = logging.getLogger("bot.admin")


async def pause(message: Message, engine: Engine, delivery: Delivery) -> None:
    await reply(message, delivery, actions.paused(await engine.pause(who(message.from_user))))


async def resume(message: Message, engine: Engine, delivery: Delivery) -> None:
    await reply(message, delivery, actions.resumed(await engine.resume(who(message.from_user))))


async def panic(message: Message, delivery: Delivery, panic_desk: PanicDesk) -> None:
    if message.from_user is None:
        return
    if panic_desk.running:
        await reply(message, delivery, actions.panic_running())
        return
    request_id = panic_desk.request(message.from_user.id)
    ttl = panic_desk.ttl
    sent = await reply(message, delivery, actions.panic_prompt(round(ttl)), keyboards.panic(request_id))
    if sent is None:
        return
    expired_text = actions.panic_expired()  # rendered now, in this user's language
    panic_desk.on_expiry(request_id, lambda: delivery.edit_text(sent.chat.id, sent.message_id, expired_text))


async def panic_go(query: CallbackQuery, callback_data: PanicCb, engine: Engine, delivery: Delivery,
                   panic_desk: PanicDesk) -> None:
    place = card_place(query)
    if panic_desk.running:
        await query.answer(actions.panic_running(), show_alert=True)
        return
    if not panic_desk.take(callback_data.id):
        await query.answer(actions.panic_expired(), show_alert=True)
        if place:
            delivery.edit_text(*place, actions.panic_expired())
        return
    await query.answer("🚨")
    by = who(query.from_user)
    log.warning("panic confirmed by %s", by)
    done = await panic_desk.run(engine, by)
    if done is None:
        text = actions.panic_running()
    else:
        text = actions.panic_result(done)
    parts = split_text(text)
    if place:
        delivery.edit_text(*place, parts[0])
        for part in parts[1:]:
            delivery.send_text(place[0], part, reply_to=place[1])
    else:
        delivery.send_text(query.from_user.id, text)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(IsAdmin())
    router.callback_query.filter(IsAdmin())
    router.message.register(pause, Command("pause"))
    router.message.register(resume, Command("resume"))
    router.message.register(panic, Command("panic"))
    router.callback_query.register(panic_go, PanicCb.filter(F.action == PanicAction.GO))
    return router
