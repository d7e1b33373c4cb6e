"""/hedge start SYMBOL [SIZE], /hedge stop (a second tap closes both legs) and /hedge status. Admins
only, like /close: the router carries ``IsAdmin``; refusals come from ``bot.handlers.refusals``."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot import keyboards
from bot.callbacks import HedgeAction, HedgeCb
from bot.delivery import Delivery
from bot.filters import IsAdmin
from bot.handlers.common import args, card_place, reply, who
from bot.presenters import hedge as words
from engine.facade import Engine


def _size(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() and value > 0 else None


async def hedge(message: Message, engine: Engine, delivery: Delivery) -> None:
    parts = args(message)
    verb = parts[0].lower() if parts else ""
    if verb == "start" and len(parts) in (2, 3):
        size = _size(parts[2]) if len(parts) == 3 else None
        if len(parts) == 3 and size is None:
            await reply(message, delivery, words.usage())
            return
        result = await engine.hedge_start(parts[1].upper(), size, who(message.from_user))
        await reply(message, delivery, words.started(result))
    elif verb == "stop":
        view = await engine.hedge_status()
        if view.round is None or not view.round.is_active:
            await reply(message, delivery, words.stopped(False))
            return
        await reply(message, delivery, words.stop_prompt(view.round), keyboards.hedge_stop(view.round.id))
    elif verb == "status":
        await reply(message, delivery, words.status(await engine.hedge_status(), engine.paper))
    else:
        await reply(message, delivery, words.usage())


async def stop_yes(query: CallbackQuery, callback_data: HedgeCb, engine: Engine, delivery: Delivery) -> None:
    view = await engine.hedge_status()
    done = view.round is not None and view.round.id == callback_data.id and view.round.is_active \
        and await engine.hedge_stop(who(query.from_user))
    text = words.stopped(bool(done))
    await query.answer(text)
    place = card_place(query)
    if place:
        delivery.edit_text(*place, text)


async def stop_keep(query: CallbackQuery, delivery: Delivery) -> None:
    await query.answer(words.kept())
    place = card_place(query)
    if place:
        delivery.edit_text(*place, words.kept())


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(hedge, Command("hedge"), IsAdmin())
    router.callback_query.register(stop_yes, HedgeCb.filter(F.action == HedgeAction.STOP), IsAdmin())
    router.callback_query.register(stop_keep, HedgeCb.filter(F.action == HedgeAction.KEEP), IsAdmin())
    return router
