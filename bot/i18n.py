"""Languages: the gettext catalogues in ``locales/`` and each user's chosen language.

A user's language is, in order: what they chose with /lang (kept by the engine), then
Telegram's ``language_code``, then ``SP_TELEGRAM__DEFAULT_LANG``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from aiogram.utils.i18n import I18n

if TYPE_CHECKING:
    from engine.facade import Engine

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
SUPPORTED = ("en", "zh")
DOMAIN = "messages"


def make_i18n(default: str = "en") -> I18n:
    return I18n(path=LOCALES_DIR, default_locale=default, domain=DOMAIN)


def from_telegram(code: str | None) -> str | None:
    """Map Telegram's ``language_code`` (``zh-hans``, ``zh-CN``, ``en-GB``) to a supported language."""
    if not code:
        return None
    head = code.replace("_", "-").split("-")[0].lower()
    return head if head in SUPPORTED else None


@contextmanager
def use(i18n: I18n, lang: str) -> Iterator[None]:
    """Render presenters in ``lang`` outside a handler (the notifier, start-up)."""
    with i18n.context(), i18n.use_locale(lang if lang in SUPPORTED else i18n.default_locale):
        yield


class LanguageBook:
    """Remembers languages through the engine, with a small in-memory cache."""

    def __init__(self, engine: Engine, default: str = "en") -> None:
        self._engine = engine
        self.default = default
        self._cache: dict[int, str | None] = {}

    async def stored(self, user_id: int) -> str | None:
        if user_id not in self._cache:
            lang = await self._engine.user_language(user_id)
            self._cache[user_id] = lang if lang in SUPPORTED else None
        return self._cache[user_id]

    async def for_user(self, user_id: int, telegram_code: str | None = None) -> str:
        return await self.stored(user_id) or from_telegram(telegram_code) or self.default

    async def for_chat(self, chat_id: int) -> str:
        """A private chat's id is its user's id; groups use what was chosen there, else the default."""
        return await self.stored(chat_id) or self.default

    def known(self, chat_id: int) -> str:
        """The chat's language from memory only (never the database), else the default."""
        return self._cache.get(chat_id) or self.default

    async def set(self, user_id: int, lang: str) -> None:
        if lang not in SUPPORTED:
            raise ValueError(lang)
        await self._engine.set_user_language(user_id, lang)
        self._cache[user_id] = lang
