"""/positions (with a Close button per position for admins), /close SYMBOL and /balance.
Closing always takes a second tap; ``/close SYMBOL 50%`` (or a quantity) is a partial close
(``bot.handlers.adjust``)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot import keyboards
from bot.adjust_desk import AdjustDesk
from bot.callbacks import PositionAction, PositionCb
from bot.delivery import Delivery
from bot.filters import IsAdmin, SymbolArg, SymbolArgument, bad_arg
from bot.handlers.adjust import close_part_command
from bot.handlers.common import args, card_place, reply, who
from bot.presenters import actions, reports
from engine.facade import Engine


async def positions(message: Message, engine: Engine, delivery: Delivery, is_admin: bool) -> None:
    views = await engine.positions()
    if not views:
        await reply(message, delivery, reports.no_positions())
        return
    now = engine.clock.now()
    text = "\n\n".join(reports.position_line(view, engine.paper, now) for view in views)
    buttons = [(v.position.id, v.position.symbol) for v in views if v.position.is_open] if is_admin else []
    await reply(message, delivery, text, keyboards.positions(buttons))


async def balance(message: Message, engine: Engine, delivery: Delivery) -> None:
    await reply(message, delivery, reports.balance(await engine.balance(), engine.paper))


async def close(message: Message, engine: Engine, delivery: Delivery, arg: SymbolArgument,
                adjust_desk: AdjustDesk) -> None:
    if arg.problem:
        await reply(message, delivery, bad_arg(arg))
        return
    symbol = arg.symbol
    position = await engine.find_open_position(symbol)
    if position is None:
        await reply(message, delivery, actions.no_open_position(symbol))
        return
    words = args(message)
    if len(words) > 1:  # /close SYMBOL 50% or a quantity: a partial close
        await close_part_command(message, engine, delivery, adjust_desk, position, " ".join(words[1:]))
        return
    await reply(message, delivery, actions.close_prompt(position, engine.paper), keyboards.close_confirm(position.id))


async def close_button(query: CallbackQuery, callback_data: PositionCb, engine: Engine, delivery: Delivery) -> None:
    position = await engine.get_position(callback_data.id)
    if position is None or not position.is_open:
        await query.answer(actions.close_done_missing(), show_alert=True)
        return
    await query.answer()
    place = card_place(query)
    if place:
        delivery.send_text(place[0], actions.close_prompt(position, engine.paper),
                           keyboards.close_confirm(position.id), reply_to=place[1])


async def close_yes(query: CallbackQuery, callback_data: PositionCb, engine: Engine, delivery: Delivery) -> None:
    result = await engine.close_position(callback_data.id, who(query.from_user))
    text = actions.close_done(result)
    await query.answer(text if len(text) <= 200 else None)
    place = card_place(query)
    if place:
        delivery.edit_text(*place, text)


async def close_keep(query: CallbackQuery, delivery: Delivery) -> None:
    await query.answer(actions.close_kept())
    place = card_place(query)
    if place:
        delivery.edit_text(*place, actions.close_kept())


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(positions, Command("positions"))
    router.message.register(balance, Command("balance"))
    router.message.register(close, Command("close"), IsAdmin(), SymbolArg("/close SYMBOL [50% | QTY]"))
    router.callback_query.register(close_button, PositionCb.filter(F.action == PositionAction.CLOSE), IsAdmin())
    router.callback_query.register(close_yes, PositionCb.filter(F.action == PositionAction.YES), IsAdmin())
    router.callback_query.register(close_keep, PositionCb.filter(F.action == PositionAction.KEEP))
    return router
