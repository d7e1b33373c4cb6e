"""/chart SYMBOL [timeframe]: candlesticks with volume, the trade's levels and its fills."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot import charting
from bot import format as fmt
from bot.delivery import Delivery
from bot.handlers.common import args, reply
from bot.presenters import actions
from config.settings import TelegramSettings
from engine.domain.values import timeframe_seconds
from engine.facade import Engine

USAGE = "/chart SYMBOL [timeframe]"


async def chart(message: Message, engine: Engine, delivery: Delivery, tg: TelegramSettings) -> None:
    words = args(message)
    if not words:
        await reply(message, delivery, actions.symbol_needed(USAGE))
        return
    symbol = await engine.known_symbol(words[0])
    if symbol is None:
        await reply(message, delivery, actions.unknown_symbol(words[0]))
        return
    timeframe = words[1].lower() if len(words) > 1 else "15m"
    try:
        timeframe_seconds(timeframe)
        data = await engine.chart_data(symbol, timeframe)
    except ValueError:
        await reply(message, delivery, actions.unknown_timeframe(words[1] if len(words) > 1 else timeframe))
        return
    if len(data.candles) == 0:
        await reply(message, delivery, actions.no_data(symbol))
        return
    png = await charting.candles(data, charting.theme_of(engine.runtime_settings(), tg.theme))
    caption = f"<b>{fmt.esc(symbol)}</b> · {fmt.esc(timeframe)}"
    await delivery.send_photo(message.chat.id, png, caption, filename="chart.png")


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(chart, Command("chart"))
    return router
