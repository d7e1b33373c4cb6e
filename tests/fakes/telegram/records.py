"""What the fake Telegram server records for tests to inspect: calls, sent messages, uploaded files."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


class ApiError(Exception):
    """An error answer of the Bot API: HTTP status, description and optional `parameters`."""

    def __init__(self, status: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


class WaitTimeout(AssertionError):
    """`FakeTelegram.wait_for` saw no matching call in time (an AssertionError, so pytest shows it plainly)."""


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request, referenced from a field as attach://<name>."""

    name: str
    filename: str
    content_type: str
    data: bytes

    def __repr__(self) -> str:
        return f"UploadedFile({self.filename!r}, {len(self.data)} bytes)"


@dataclass(frozen=True)
class StoredFile:
    """A file the server knows by file_id (uploaded by the bot, or referenced by its id later)."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes | None


@dataclass
class Call:
    """One request to the fake. Unpacks as `(method, params, at)`; `status` and `result` say how it ended.

    `method` is the canonical camelCase name, `params` the decoded parameters (ints, bools and nested
    JSON decoded; uploaded files as `UploadedFile`), `at` is `time.monotonic()` when the answer was made.
    """

    method: str
    params: dict[str, Any]
    at: float
    status: int = 200
    result: Any = None
    description: str | None = None

    def __iter__(self) -> Iterator[Any]:
        return iter((self.method, self.params, self.at))

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class SentMessage:
    """A message the bot sent, as it was at sending time (see `FakeTelegram.messages` for edits).

    `text` is what the user sees (markup parsed, for text messages and captions alike); `source` is the
    text or caption exactly as the bot sent it; `reply_markup` is the keyboard as sent, of any kind.
    """

    method: str
    chat_id: int | str
    message_id: int
    text: str | None
    source: str | None
    parse_mode: str | None
    entities: list[dict]
    reply_to_message_id: int | None
    reply_markup: dict | None
    message: dict
    params: dict[str, Any]
    at: float
    photo: bytes | None = None
    document: bytes | None = None
    filename: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def buttons(self) -> list[dict]:
        """Inline (or reply) keyboard buttons in reading order, as dicts with `text`, `callback_data`…"""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [btn if isinstance(btn, dict) else {"text": btn} for row in rows for btn in row]

    def button(self, text: str) -> dict:
        """The first button whose label contains `text`; AssertionError listing the labels otherwise."""
        for btn in self.buttons:
            if text in btn.get("text", ""):
                return btn
        raise AssertionError(f"no button containing {text!r}; buttons: {[b.get('text') for b in self.buttons]}")


class Signal:
    """Wakes every coroutine waiting for "something changed"; safe to fire from synchronous code."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        """Wait until the next fire or the timeout, whichever comes first (no exception on timeout)."""
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            pass
