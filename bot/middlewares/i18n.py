"""The user's language for this update: /lang choice, else Telegram's language_code, else the default."""

from __future__ import annotations

from typing import Any

from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware

from bot.access import Access
from bot.i18n import LanguageBook, from_telegram


class LanguageMiddleware(I18nMiddleware):
    def __init__(self, i18n: I18n, book: LanguageBook, access: Access) -> None:
        super().__init__(i18n=i18n)
        self.book = book
        self.access = access

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        user: User | None = data.get("event_from_user")
        if user is None:
            return self.book.default
        if self.access.role(user.id) is None:  # strangers: no look-ups on their behalf
            return from_telegram(user.language_code) or self.book.default
        lang = await self.book.for_user(user.id, user.language_code)
        data["lang"] = lang
        return lang
