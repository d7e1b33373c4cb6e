"""The world the fake Telegram server keeps: users, chats, messages, files, commands, callbacks, updates."""

from __future__ import annotations

import copy
import itertools
import secrets
import time
from collections.abc import Callable
from typing import Any

from .objects import chat_object, user_object
from .records import ApiError, Call, SentMessage, Signal, StoredFile, UploadedFile, bad_request

NOT_SENT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# Telegram sends every other update type while allowed_updates is unset or empty


class TelegramState:
    """Plain data plus the small rules that keep it consistent; no HTTP, no asyncio waiting."""

    def __init__(self, bot_user: dict, now: Callable[[], float] = time.time) -> None:
        self.bot_user = bot_user
        self.now = now
        self.users: dict[int, dict] = {}
        self.chats: dict[int | str, dict] = {}
        self.messages: dict[tuple[int, int], dict] = {}
        self.deleted: set[tuple[int, int]] = set()
        self.blocked: set[int] = set()
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, str], list[dict]] = {}
        self.profile: dict[tuple[str, str], Any] = {}  # ("description", "en") → text, ("menu_button", chat)…
        self.pins: dict[int, list[int]] = {}  # chat id → pinned message ids, oldest first
        self.callback_queries: dict[str, dict] = {}
        self.callback_answers: dict[str, dict] = {}
        self.calls: list[Call] = []
        self.sent_messages: list[SentMessage] = []
        self.webhook: dict[str, Any] = {"url": ""}
        self.updates: list[dict] = []
        self.allowed_updates: frozenset[str] | None = None  # None: Telegram's default set
        self.changed = Signal()  # fired on every new update and every recorded call
        self.poller: object | None = None  # the getUpdates request currently entitled to answer
        self.closing = False
        self._message_ids: dict[int, itertools.count] = {}
        self._update_ids = itertools.count(700_000_001)
        self._file_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)

    # ------------------------------------------------------------ chats and messages

    def user(self, user_id: int, first_name: str | None = None, *, username: str | None = None,
             language_code: str | None = None) -> dict:
        known = self.users.get(user_id, {})
        user = user_object(user_id, first_name or known.get("first_name"),
                           username=username or known.get("username"),
                           language_code=language_code or known.get("language_code"))
        self.users[user_id] = user
        return user

    def chat(self, chat_id: int | str) -> dict:
        """The chat with this id, created on first use (private for positive ids, group for negative)."""
        if isinstance(chat_id, str):
            if chat_id.lstrip("-").isdigit():
                chat_id = int(chat_id)
            elif chat_id not in self.chats:
                raise bad_request("chat not found")
            else:
                return self.chats[chat_id]
        if chat_id == 0:
            raise bad_request("chat_id is empty")
        if chat_id not in self.chats:
            self.chats[chat_id] = chat_object(chat_id, self.users.get(chat_id))
        return self.chats[chat_id]

    def check_can_send(self, chat_id: int) -> None:
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    def new_message(self, chat_id: int | str, sender: dict, content: dict) -> dict:
        chat = self.chat(chat_id)
        counter = self._message_ids.setdefault(chat["id"], itertools.count(1))
        message = {"message_id": next(counter), "from": sender, "chat": chat, "date": int(self.now()), **content}
        self.messages[(chat["id"], message["message_id"])] = message
        return message

    def find(self, chat_id: int | str, message_id: int) -> dict | None:
        return self.messages.get((self.chat(chat_id)["id"], message_id))

    def bot_message(self, chat_id: int | str, message_id: int, *, action: str) -> dict:
        """The bot's own message to edit or delete, or the error Telegram gives for it."""
        message = self.find(chat_id, message_id)
        if message is None:
            raise bad_request(f"message to {action} not found")
        if action == "edit" and message["from"]["id"] != self.bot_user["id"]:
            raise bad_request("message can't be edited")
        return message

    # ------------------------------------------------------------ files

    def store_file(self, data: bytes | None, kind: str, extension: str) -> StoredFile:
        number = next(self._file_ids)
        file = StoredFile(
            file_id=f"{kind}{number:06d}{secrets.token_hex(6)}",
            file_unique_id=f"AQAD{number:06d}",
            file_path=f"{kind.lower()}s/file_{number}.{extension}",
            data=data,
        )
        self.files[file.file_id] = file
        return file

    def file_data(self, value: Any, kind: str, extension: str) -> tuple[StoredFile, str | None]:
        """The stored file for a photo/document parameter: an upload, a known file_id, or a URL.

        Returns the file and the uploaded file name (None when the bot reused a file_id or a URL).
        """
        if isinstance(value, UploadedFile):
            ext = value.filename.rsplit(".", 1)[-1] if "." in value.filename else extension
            return self.store_file(value.data, kind, ext), value.filename
        if isinstance(value, str) and value:
            base = value.rsplit("-", 1)[0] if value not in self.files else value
            if base in self.files:
                return self.files[base], None
            if value.startswith(("http://", "https://")):
                return self.store_file(None, kind, extension), None
        raise bad_request("wrong file identifier/HTTP URL specified")

    # ------------------------------------------------------------ updates

    def enqueue(self, kind: str, payload: dict) -> dict:
        update = {"update_id": next(self._update_ids), kind: payload}
        self.updates.append(update)
        self.changed.fire()
        return update

    def enqueue_raw(self, update: dict) -> dict:
        update = copy.deepcopy(update)
        update.setdefault("update_id", next(self._update_ids))
        self.updates.append(update)
        self.changed.fire()
        return update

    def confirm(self, offset: int | None) -> None:
        """Forget updates as getUpdates' offset says (negative: keep only the last -offset)."""
        if offset is None or offset == 0:
            return
        if offset < 0:
            del self.updates[: max(len(self.updates) + offset, 0)]
        else:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]

    def pending(self, limit: int) -> list[dict]:
        """Up to `limit` queued updates of allowed types; updates of other types are dropped."""
        self.updates = [u for u in self.updates if self.allowed(_kind(u))]
        return [copy.deepcopy(u) for u in self.updates[:limit]]

    def set_allowed_updates(self, allowed: list[str] | None) -> None:
        if allowed is not None:
            self.allowed_updates = frozenset(allowed) if allowed else None

    def allowed(self, kind: str) -> bool:
        if self.allowed_updates is None:
            return kind not in NOT_SENT_BY_DEFAULT
        return kind in self.allowed_updates

    # ------------------------------------------------------------ callbacks

    def new_callback_id(self) -> str:
        return f"{next(self._callback_ids)}{secrets.randbelow(10**12):012d}"


def _kind(update: dict) -> str:
    return next((k for k in update if k != "update_id"), "")
