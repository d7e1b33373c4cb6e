"""Placed after the feature routers: a reader who sends an admin command or presses an admin
button gets the admins-only answer (the feature routers gate those with ``IsAdmin``)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.callbacks import (
    AdjustAction,
    AdjustCb,
    HedgeAction,
    HedgeCb,
    PanicAction,
    PanicCb,
    PositionAction,
    PositionCb,
    SettingsCb,
    SignalCb,
)
from bot.delivery import Delivery
from bot.handlers.common import reply
from bot.presenters import actions

ADMIN_COMMANDS = ("pause", "resume", "panic", "settings", "scan", "close", "stop", "be", "tp", "add", "backup",
                  "export", "hedge")


async def refuse_command(message: Message, delivery: Delivery) -> None:
    await reply(message, delivery, actions.admins_only())


async def refuse_button(query: CallbackQuery) -> None:
    await query.answer(actions.admins_only(), show_alert=True)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(refuse_command, Command(*ADMIN_COMMANDS))
    for admin_button in (SignalCb.filter(),
                         PositionCb.filter(F.action.in_({PositionAction.CLOSE, PositionAction.YES, PositionAction.HALF,
                                                          PositionAction.BE})),
                         AdjustCb.filter(F.action == AdjustAction.YES),
                         PanicCb.filter(F.action == PanicAction.GO),
                         HedgeCb.filter(F.action == HedgeAction.STOP),
                         SettingsCb.filter()):
        router.callback_query.register(refuse_button, admin_button)
    return router
