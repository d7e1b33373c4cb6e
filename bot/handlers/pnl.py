"""/pnl [today|7d|30d|all] with the equity curve and daily bars, and /history [n]."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot import charting
from bot import format as fmt
from bot.delivery import Delivery
from bot.handlers.common import args, reply
from bot.presenters import reports
from config.settings import TelegramSettings
from engine.facade import Engine

PERIODS = ("today", "7d", "30d", "all")


async def pnl(message: Message, engine: Engine, delivery: Delivery, tg: TelegramSettings) -> None:
    words = args(message)
    period = words[0].lower() if words else "today"
    if period not in PERIODS:
        await reply(message, delivery, reports.pnl_usage())
        return
    stats = await engine.pnl(period)
    currency = (await engine.balance()).currency
    text = reports.pnl(stats, currency)
    theme = charting.theme_of(engine.runtime_settings(), tg.theme)
    chat = message.chat.id
    if len(stats.equity_curve) >= 2:
        png = await charting.equity(stats.equity_curve, theme, currency)
        await delivery.send_photo(chat, png, text, filename="equity.png")
    else:
        await reply(message, delivery, text)
    if period != "today" and stats.daily:
        png = await charting.daily(stats.daily, theme)
        caption = fmt.esc(_("Daily PnL, {period}").format(period=reports.period_name(period)))
        await delivery.send_photo(chat, png, caption, filename="daily.png")



async def history(message: Message, engine: Engine, delivery: Delivery) -> None:
    words = args(message)
    n = 10
    if words:
        if not words[0].isdigit() or not 1 <= int(words[0]) <= 50:
            await reply(message, delivery, reports.history_usage())
            return
        n = int(words[0])
    await reply(message, delivery, reports.history(await engine.history(n)))


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(pnl, Command("pnl"))
    router.message.register(history, Command("history"))
    return router
