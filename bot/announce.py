"""One line to each admin when SignalPilot starts and when it stops: mode, venue, markets, version."""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiogram.utils.i18n import I18n

from bot.delivery import Delivery
from bot.i18n import LanguageBook, use
from engine.facade import About, Engine

log = logging.getLogger("bot.announce")


async def announce(engine: Engine, delivery: Delivery, i18n: I18n, book: LanguageBook, admins: list[int],
                   render: Callable[[About], str]) -> None:
    """Queue ``render(about)`` for every admin, in their language (delivered as the queue allows)."""
    try:
        about = await engine.about()
        for chat in dict.fromkeys(admins):
            with use(i18n, await book.for_chat(chat)):
                text = render(about)
            delivery.send_text(chat, text)
    except Exception as exc:  # never stops a start or a stop
        log.warning("could not tell the admins: %s", exc)
