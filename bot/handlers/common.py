"""Small helpers shared by the handlers: who pressed, answering through the queue, arguments."""

from __future__ import annotations

from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, User

from bot.delivery import Delivery


def who(user: User | None) -> str:
    """How the engine records an actor: ``@username``, else the name, plus the id."""
    if user is None:
        return "unknown"
    if user.username:
        return "@" + user.username
    return f"{user.full_name} ({user.id})"


async def reply(message: Message, delivery: Delivery, text: str,
                markup: InlineKeyboardMarkup | None = None) -> Message | None:
    """Answer in the message's chat through the rate-limited queue."""
    return await delivery.text(message.chat.id, text, markup)


def args(message: Message) -> list[str]:
    """The words after the command (``/chart eth/btc 1h`` → ``["eth/btc", "1h"]``)."""
    text = message.text or message.caption or ""
    parts = text.split()
    return parts[1:] if parts and parts[0].startswith("/") else parts


def card_place(query: CallbackQuery) -> tuple[int, int] | None:
    """(chat id, message id) of the message a button belongs to, when still accessible."""
    message = query.message
    if message is None or not hasattr(message, "chat"):
        return None
    return message.chat.id, message.message_id
