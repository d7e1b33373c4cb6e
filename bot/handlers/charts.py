"""/chart SYMBOL [timeframe]: candlesticks with volume, the trade's levels and its fills."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot import charting
from bot import format as fmt
from bot.delivery import Delivery
from bot.filters import SymbolArg, SymbolArgument, bad_arg
from bot.handlers.common import reply
from bot.presenters import actions
from config.settings import TelegramSettings
from engine.facade import Engine

USAGE = "/chart SYMBOL [timeframe]"


async def chart(message: Message, engine: Engine, delivery: Delivery, tg: TelegramSettings,
                arg: SymbolArgument) -> None:
    if arg.problem:
        await reply(message, delivery, bad_arg(arg))
        return
    symbol, timeframe = arg.symbol, arg.timeframe
    try:
        data = await engine.chart_data(symbol, timeframe)
    except ValueError:  # a well-formed timeframe the venue does not serve
        await reply(message, delivery, actions.unknown_timeframe(timeframe))
        return
    if len(data.candles) == 0:
        await reply(message, delivery, actions.no_data(symbol))
        return
    png = await charting.candles(data, charting.theme_of(engine.runtime_settings(), tg.theme))
    caption = f"<b>{fmt.esc(symbol)}</b> · {fmt.esc(timeframe)}"
    await delivery.send_photo(message.chat.id, png, caption, filename="chart.png")


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(chart, Command("chart"), SymbolArg(USAGE, default_timeframe="15m"))
    return router
