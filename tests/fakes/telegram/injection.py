"""What users do, as tests script it: write messages, press buttons, block the bot; plus injected faults."""

from __future__ import annotations

import copy
from dataclasses import dataclass

from .formatting import command_entities
from .objects import chat_object, strip_reply
from .ratelimit import Limit, RateLimiter
from .records import ApiError, SentMessage
from .state import TelegramState


@dataclass
class Fault:
    """The next `remaining` calls of `method` (optionally only for one chat) wait `delay` seconds,
    then answer with `error` (or normally when there is none)."""

    method: str
    remaining: int
    error: ApiError | None
    chat_id: int | None = None
    delay: float = 0.0

    def matches(self, method: str, params: dict) -> bool:
        if self.remaining <= 0 or self.method != method.lower():
            return False
        return self.chat_id is None or str(params.get("chat_id")) == str(self.chat_id)


_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden: bot was blocked by the user",
    404: "Not Found", 409: "Conflict", 500: "Internal Server Error", 502: "Bad Gateway",
}


class InjectionMixin:
    """Methods of FakeTelegram that queue updates or arrange failures."""

    state: TelegramState
    faults: list[Fault]
    rate_limiter: RateLimiter | None

    # ------------------------------------------------------------ updates from users

    def user_message(self, user_id: int, text: str, chat_id: int | None = None, language_code: str = "en",
                     first_name: str | None = None, *, username: str | None = None,
                     reply_to_message_id: int | None = None) -> dict:
        """Queue a message `user_id` writes (in their private chat unless `chat_id` is a group).

        Commands get a bot_command entity as on Telegram. Returns the Message object.
        """
        user = self.state.user(user_id, first_name, username=username, language_code=language_code)
        chat = self.state.chat(chat_id if chat_id is not None else user_id)
        if chat["type"] == "private":
            chat.update(chat_object(chat["id"], user))
        content: dict = {"text": text}
        entities = command_entities(text)
        if entities:
            content["entities"] = entities
        if reply_to_message_id is not None:
            target = self.state.find(chat["id"], reply_to_message_id)
            if target is None:
                raise ValueError(f"no message {reply_to_message_id} in chat {chat['id']} to reply to")
            content["reply_to_message"] = strip_reply(copy.deepcopy(target))
        message = self.state.new_message(chat["id"], user, content)
        self.state.enqueue("message", copy.deepcopy(message))
        return copy.deepcopy(message)

    def press(self, user_id: int, message_id: int, chat_id: int | None, data: str,
              language_code: str = "en") -> str:
        """Queue a callback_query: `user_id` pressed a button carrying `data` under a message.

        The message is sent as it is now (after edits); a deleted one arrives as an inaccessible
        message (date 0), as Telegram does. Returns the callback query id.
        """
        user = self.state.user(user_id, language_code=language_code)
        chat = self.state.chat(chat_id if chat_id is not None else user_id)
        key = (chat["id"], message_id)
        if key in self.state.messages:
            message = copy.deepcopy(self.state.messages[key])
        elif key in self.state.deleted:
            message = {"chat": copy.deepcopy(chat), "message_id": message_id, "date": 0}
        else:
            raise ValueError(f"no message {message_id} in chat {chat['id']} to press a button on")
        query_id = self.state.new_callback_id()
        query = {"id": query_id, "from": user, "message": message,
                 "chat_instance": str(abs(chat["id"]) * 1_000_003 % 10**18), "data": data}
        self.state.callback_queries[query_id] = query
        self.state.enqueue("callback_query", copy.deepcopy(query))
        return query_id

    def press_button(self, user_id: int, message: SentMessage | dict, text: str,
                     language_code: str = "en") -> str:
        """Press the inline button whose label contains `text` on the message's *current* keyboard."""
        if isinstance(message, SentMessage):
            chat_id, message_id = message.chat_id, message.message_id
        else:
            chat_id, message_id = message["chat"]["id"], message["message_id"]
        current = self.state.find(chat_id, message_id)
        if current is None:
            raise ValueError(f"message {message_id} in chat {chat_id} no longer exists")
        buttons = [b for row in current.get("reply_markup", {}).get("inline_keyboard", []) for b in row]
        for button in buttons:
            if text in button["text"] and "callback_data" in button:
                return self.press(user_id, message_id, int(chat_id), button["callback_data"], language_code)
        raise AssertionError(f"no callback button containing {text!r}; buttons: {[b['text'] for b in buttons]}")

    def inject(self, update: dict) -> dict:
        """Queue any raw update (an update_id is assigned when missing); returns it."""
        return self.state.enqueue_raw(update)

    def block(self, user_id: int) -> None:
        """From now on, sending to this user answers 403 "Forbidden: bot was blocked by the user"."""
        self.state.blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        self.state.blocked.discard(user_id)

    # ------------------------------------------------------------ faults

    def flood(self, method: str, count: int = 1, retry_after: int = 1, *, chat_id: int | None = None) -> None:
        """The next `count` calls of `method` answer 429 "Too Many Requests: retry after N"."""
        error = ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
        self.faults.append(Fault(method.lower(), count, error, chat_id))

    def fail(self, method: str, count: int = 1, status: int = 500, description: str | None = None,
             *, chat_id: int | None = None) -> None:
        """The next `count` calls of `method` answer `status` with a Telegram-style description."""
        text = description or _DEFAULT_DESCRIPTIONS.get(status, f"Error {status}")
        self.faults.append(Fault(method.lower(), count, ApiError(status, text), chat_id))

    def delay(self, method: str, seconds: float, count: int = 1, *, chat_id: int | None = None) -> None:
        """The next `count` calls of `method` answer only after `seconds` (for client timeouts, slowness)."""
        self.faults.append(Fault(method.lower(), count, None, chat_id, seconds))

    def rate_limit(self, per_chat: Limit | None = (1, 1.0), per_group: Limit | None = (20, 60.0),
                   overall: Limit | None = (30, 1.0)) -> None:
        """Answer 429 like Telegram's flood control when the bot sends (or edits) faster than
        (messages, seconds) per private chat, per group, or overall. None switches a limit off."""
        self.rate_limiter = RateLimiter(per_chat, per_group, overall)

    def _take_fault(self, method: str, params: dict) -> Fault | None:
        """The first armed fault for this call, used up by one; faults apply in the order they were set."""
        for fault in self.faults:
            if fault.matches(method, params):
                fault.remaining -= 1
                return fault
        return None
