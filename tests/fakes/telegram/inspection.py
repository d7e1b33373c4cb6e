"""What tests read back from the fake: calls, sent messages, current messages, answers — and waiting for them."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .records import Call, SentMessage, WaitTimeout
from .state import TelegramState

SEND_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup"})
Predicate = Callable[[Call], bool] | str


class InspectionMixin:
    """Methods of FakeTelegram for assertions."""

    state: TelegramState

    @property
    def calls(self) -> list[Call]:
        """Every request in arrival order of its answer (getUpdates included)."""
        return self.state.calls

    @property
    def messages(self) -> dict[tuple[int, int], dict]:
        """(chat_id, message_id) → the Message object as it is now (edits applied, deletions removed)."""
        return self.state.messages

    @property
    def deleted(self) -> set[tuple[int, int]]:
        return self.state.deleted

    @property
    def callback_answers(self) -> dict[str, dict]:
        """callback query id → {"text", "show_alert", "url", "cache_time"} the bot answered with."""
        return self.state.callback_answers

    @property
    def commands(self) -> dict[tuple[str, str], list[dict]]:
        """(scope key, language_code) → commands; scope key "default", "chat:<id>"…, language "" for all."""
        return self.state.commands

    @property
    def pins(self) -> dict[int, list[int]]:
        """chat id → ids of the pinned messages, oldest first."""
        return self.state.pins

    @property
    def profile(self) -> dict[tuple[str, str], Any]:
        """("name"|"description"|"short_description", language) → text; ("menu_button", chat id or "")."""
        return self.state.profile

    @property
    def pending_updates(self) -> list[dict]:
        """Updates queued and not yet confirmed by the bot (getUpdates offset)."""
        return list(self.state.updates)

    def sent(self, chat_id: int | None = None) -> list[SentMessage]:
        """Messages the bot sent (all chats, or one), oldest first."""
        return [m for m in self.state.sent_messages if chat_id is None or m.chat_id == chat_id]

    def calls_to(self, method: str) -> list[Call]:
        """Calls of one method (case-insensitive), failed ones included."""
        return [c for c in self.state.calls if c.method.lower() == method.lower()]

    def mark(self) -> int:
        """A position in `calls`; pass it as `since=` to wait only for calls made after this point."""
        return len(self.state.calls)

    async def wait_for(self, predicate: Predicate, timeout: float = 30.0, since: int = 0) -> Call:
        """The first call (from index `since`) that satisfies `predicate`, waiting up to `timeout` seconds.

        `predicate` takes a Call, or is a method name. Raises WaitTimeout (an AssertionError) listing
        the last calls when nothing matches in time.
        """
        check = _as_predicate(predicate)
        deadline = time.monotonic() + timeout
        index = since
        while True:
            calls = self.state.calls
            while index < len(calls):
                if check(calls[index]):
                    return calls[index]
                index += 1
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WaitTimeout(f"no matching Telegram call within {timeout}s; last calls: {_summary(calls)}")
            await self.state.changed.wait(remaining)

    async def wait_sent(self, chat_id: int | None = None, contains: str | None = None, *,
                        timeout: float = 30.0, since: int = 0) -> SentMessage:
        """The first message the bot sends (from call index `since`) to `chat_id` whose text has `contains`."""

        def matches(call: Call) -> bool:
            return call.ok and call.method in SEND_METHODS and any(
                _sent_matches(m, chat_id, contains) for m in _results(call)
            )

        call = await self.wait_for(matches, timeout=timeout, since=since)
        message = next(m for m in _results(call) if _sent_matches(m, chat_id, contains))
        key = (message["chat"]["id"], message["message_id"])
        return next(s for s in self.state.sent_messages if (s.chat_id, s.message_id) == key)


def _as_predicate(predicate: Predicate) -> Callable[[Call], bool]:
    if isinstance(predicate, str):
        name = predicate.lower()
        return lambda call: call.method.lower() == name
    return predicate


def _results(call: Call) -> list[dict]:
    result: Any = call.result
    return result if isinstance(result, list) else [result]


def _sent_matches(message: dict, chat_id: int | None, contains: str | None) -> bool:
    if chat_id is not None and message["chat"]["id"] != chat_id:
        return False
    text = message.get("text", message.get("caption")) or ""
    return contains is None or contains in text


def _summary(calls: list[Call], last: int = 15) -> str:
    useful = [c for c in calls if not (c.method == "getUpdates" and c.ok and not c.result)]  # idle polls
    shown = [f"{c.method}→{c.status}" + (f" ({c.description})" if c.description else "") for c in useful[-last:]]
    return ", ".join(shown) or "none"
