"""/profit, /daily [n] and /weekly [n] (a table and a chart), /performance and /version."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot import charting
from bot.delivery import Delivery
from bot.handlers.common import args, reply
from bot.presenters import results
from config.settings import TelegramSettings
from engine.facade import Engine

DEFAULT_ROWS = {"daily": 7, "weekly": 4}


async def profit(message: Message, engine: Engine, delivery: Delivery) -> None:
    await reply(message, delivery, results.profit(await engine.profit()))


async def _periods(kind: str, message: Message, engine: Engine, delivery: Delivery, tg: TelegramSettings) -> None:
    words = args(message)
    count = DEFAULT_ROWS[kind]
    if words:
        if not words[0].isdigit() or not 1 <= int(words[0]) <= 60:
            await reply(message, delivery, results.periods_usage(kind))
            return
        count = int(words[0])
    table = await engine.periods(kind, count)
    await reply(message, delivery, results.periods(table))
    if any(row.trades for row in table.rows):
        png = await charting.daily([(row.start, row.net_pnl) for row in table.rows],
                                   charting.theme_of(engine.runtime_settings(), tg.theme))
        await delivery.send_photo(message.chat.id, png, results.period_title(kind), filename=f"{kind}.png")


async def daily(message: Message, engine: Engine, delivery: Delivery, tg: TelegramSettings) -> None:
    await _periods("daily", message, engine, delivery, tg)


async def weekly(message: Message, engine: Engine, delivery: Delivery, tg: TelegramSettings) -> None:
    await _periods("weekly", message, engine, delivery, tg)


async def performance(message: Message, engine: Engine, delivery: Delivery) -> None:
    await reply(message, delivery, results.performance(await engine.performance()))


async def version(message: Message, engine: Engine, delivery: Delivery) -> None:
    await reply(message, delivery, results.version(await engine.about()))


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(profit, Command("profit"))
    router.message.register(daily, Command("daily"))
    router.message.register(weekly, Command("weekly"))
    router.message.register(performance, Command("performance"))
    router.message.register(version, Command("version"))
    return router
