"""The command menu (setMyCommands): English by default, Chinese for users whose Telegram speaks it."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import lazy_gettext as __

from bot.i18n import SUPPORTED, use

COMMANDS = (
    ("status", __("Mode, equity, positions, today's PnL")),
    ("positions", __("Open positions")),
    ("balance", __("Balance")),
    ("pnl", __("Profit and loss with a chart")),
    ("history", __("Last closed trades")),
    ("profit", __("Return, win rate, profit factor")),
    ("daily", __("PnL per day")),
    ("weekly", __("PnL per week")),
    ("performance", __("PnL per pair")),
    ("chart", __("Chart of a symbol")),
    ("scan", __("Scan the market now")),
    ("signal", __("Analyse one symbol")),
    ("close", __("Close a position, or part of it")),
    ("stop", __("Move a position's stop")),
    ("be", __("Move a position's stop to breakeven")),
    ("tp", __("Move a position's target")),
    ("add", __("Add to a position")),
    ("hedge", __("Cross-venue hedge: start, stop, status")),
    ("pause", __("Pause new entries")),
    ("resume", __("Resume new entries")),
    ("settings", __("Runtime settings")),
    ("lang", __("Language")),
    ("panic", __("Close everything now")),
    ("backup", __("Send a database backup")),
    ("export", __("Closed trades as CSV")),
    ("version", __("Version, mode and exchange")),
    ("help", __("All commands")),
)


def commands(i18n: I18n, lang: str) -> list[BotCommand]:
    with use(i18n, lang):
        return [BotCommand(command=name, description=str(text)) for name, text in COMMANDS]


async def set_commands(bot: Bot, i18n: I18n, default_lang: str = "en") -> None:
    """The default menu in ``default_lang`` plus one per supported language."""
    await bot.set_my_commands(commands(i18n, default_lang))
    for lang in SUPPORTED:
        await bot.set_my_commands(commands(i18n, lang), language_code=lang)
