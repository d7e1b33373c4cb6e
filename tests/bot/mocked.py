"""aiogram's own unit-test pattern: a session whose ``make_request`` records the call and returns a
queued result (or a plausible default), plus builders of incoming updates."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.types import Message, Update

TOKEN = "42:TEST-token-for-unit-tests"
BOT_ID = 42


class MockedSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self.queued: deque[Any] = deque()
        self._ids = itertools.count(1000)

    def add_result(self, result: Any) -> None:
        """The next request answers ``result`` (an exception instance is raised instead)."""
        self.queued.append(result)

    async def make_request(self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None) -> Any:
        self.requests.append(method)
        if self.queued:
            result = self.queued.popleft()
            if isinstance(result, BaseException):
                raise result
            return result
        return self._default(bot, method)

    def _default(self, bot: Bot, method: TelegramMethod[Any]) -> Any:
        now = int(datetime.now(UTC).timestamp())
        if isinstance(method, (SendMessage, SendPhoto)):
            chat_id = int(method.chat_id)
            data: dict[str, Any] = {"message_id": next(self._ids), "date": now,
                                    "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group",
                                             "title": None if chat_id > 0 else "group"},
                                    "from": {"id": BOT_ID, "is_bot": True, "first_name": "Bot"}}
            if isinstance(method, SendMessage):
                data["text"] = method.text
            else:
                data["photo"] = [{"file_id": "f", "file_unique_id": "u", "width": 10, "height": 10}]
                data["caption"] = method.caption
            return method.__returning__.model_validate(data, context={"bot": bot})  # type: ignore[union-attr]
        if isinstance(method, EditMessageText):
            return Message.model_validate(
                {"message_id": method.message_id, "date": now, "text": method.text,
                 "chat": {"id": int(method.chat_id), "type": "private"}}, context={"bot": bot})
        if isinstance(method, (AnswerCallbackQuery, EditMessageReplyMarkup)):
            return True
        return True

    async def close(self) -> None:
        pass

    async def stream_content(self, url: str, headers: dict[str, Any] | None = None, timeout: int = 30,
                             chunk_size: int = 65536, raise_for_status: bool = True) -> AsyncGenerator[bytes, None]:
        yield b""

    # --- reading back ---------------------------------------------------------------------------
    def of(self, kind: type[TelegramMethod[Any]]) -> list[Any]:
        return [r for r in self.requests if isinstance(r, kind)]

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [r.text for r in self.of(SendMessage) if chat_id is None or int(r.chat_id) == chat_id]


_update_ids = itertools.count(1)
_message_ids = itertools.count(1)


def user(user_id: int, lang: str = "en", username: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}", "language_code": lang}
    if username:
        data["username"] = username
    return data


def message_update(user_id: int, text: str, lang: str = "en", chat_id: int | None = None,
                   username: str | None = None) -> Update:
    chat = chat_id if chat_id is not None else user_id
    message: dict[str, Any] = {
        "message_id": next(_message_ids), "date": int(datetime.now(UTC).timestamp()),
        "chat": {"id": chat, "type": "private" if chat > 0 else "group", "title": None if chat > 0 else "g"},
        "from": user(user_id, lang, username), "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return Update.model_validate({"update_id": next(_update_ids), "message": message})


def callback_update(user_id: int, data: str, message_id: int = 1, chat_id: int | None = None,
                    lang: str = "en", text: str = "card") -> Update:
    chat = chat_id if chat_id is not None else user_id
    query = {
        "id": str(next(_update_ids)), "from": user(user_id, lang), "chat_instance": "1", "data": data,
        "message": {"message_id": message_id, "date": int(datetime.now(UTC).timestamp()),
                    "chat": {"id": chat, "type": "private"}, "text": text},
    }
    return Update.model_validate({"update_id": next(_update_ids), "callback_query": query})
