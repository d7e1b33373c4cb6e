"""Small steps shared by the bot tests: moving prices, finding cards and buttons in recorded calls."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aiogram.methods import EditMessageReplyMarkup, EditMessageText, SendMessage

from engine.facade import Engine
from engine.market.base import PriceTick


async def tick(engine: Engine, symbol: str, price: Decimal) -> None:
    await engine.on_tick(PriceTick(symbol, price, engine.clock.now()))


def buttons(method: SendMessage | EditMessageText | EditMessageReplyMarkup) -> list[Any]:
    markup = method.reply_markup
    return [b for row in markup.inline_keyboard for b in row] if markup is not None else []  # type: ignore[union-attr]


def button_data(method: SendMessage | EditMessageText | EditMessageReplyMarkup, label: str) -> str:
    for button in buttons(method):
        if label in button.text:
            return str(button.callback_data)
    raise AssertionError(f"no button {label!r} in {[b.text for b in buttons(method)]}")
