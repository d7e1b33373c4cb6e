"""editMessageText/Caption/ReplyMarkup and deleteMessage(s), with Telegram's refusals."""

from __future__ import annotations

import copy
from typing import Any

from .formatting import u16
from .records import bad_request
from .registry import method, require
from .sending import CAPTION_LIMIT, TEXT_LIMIT, formatted, inline_markup
from .state import TelegramState

NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are exactly the same "
                "as a current content and reply markup of the message")
_MEDIA = ("photo", "document", "video", "audio", "animation", "voice")


def _target(state: TelegramState, params: dict[str, Any]) -> dict:
    if params.get("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")  # the fake has no inline messages
    require(params, "chat_id")
    if not params.get("message_id"):
        raise bad_request("message identifier is not specified")
    return state.bot_message(params["chat_id"], int(params["message_id"]), action="edit")


def _apply(state: TelegramState, message: dict, changes: dict[str, Any]) -> dict:
    """Set (or, for None, remove) fields; refuse when nothing changes, like Telegram."""
    if all(message.get(key) == (value or None) for key, value in changes.items()):
        raise bad_request(NOT_MODIFIED)
    for key, value in changes.items():
        if value:
            message[key] = value
        else:
            message.pop(key, None)
    message["edit_date"] = max(int(state.now()), message["date"])
    return copy.deepcopy(message)


@method("editMessageText")
def edit_message_text(state: TelegramState, params: dict[str, Any]) -> dict:
    message = _target(state, params)
    if "text" not in message:
        raise bad_request("there is no text in the message to edit")
    text, entities = formatted(str(params.get("text", "")), params, "entities")
    if not text:
        raise bad_request("message text is empty")
    if u16(text) > TEXT_LIMIT:
        raise bad_request("message is too long")
    # leaving out reply_markup removes the keyboard, as on Telegram
    return _apply(state, message, {"text": text, "entities": entities,
                                   "reply_markup": inline_markup(params.get("reply_markup"))})


@method("editMessageCaption")
def edit_message_caption(state: TelegramState, params: dict[str, Any]) -> dict:
    message = _target(state, params)
    if not any(kind in message for kind in _MEDIA):
        raise bad_request("there is no caption in the message to edit")
    caption = str(params.get("caption") or "")
    text, entities = formatted(caption, params, "caption_entities") if caption else ("", [])
    if u16(text) > CAPTION_LIMIT:
        raise bad_request("message caption is too long")
    return _apply(state, message, {"caption": text, "caption_entities": entities,
                                   "reply_markup": inline_markup(params.get("reply_markup"))})


@method("editMessageReplyMarkup")
def edit_message_reply_markup(state: TelegramState, params: dict[str, Any]) -> dict:
    message = _target(state, params)
    return _apply(state, message, {"reply_markup": inline_markup(params.get("reply_markup"))})


@method("deleteMessage")
def delete_message(state: TelegramState, params: dict[str, Any]) -> bool:
    require(params, "chat_id", "message_id")
    _delete(state, params["chat_id"], int(params["message_id"]))
    return True


@method("deleteMessages")
def delete_messages(state: TelegramState, params: dict[str, Any]) -> bool:
    require(params, "chat_id", "message_ids")
    chat_id = state.chat(params["chat_id"])["id"]
    for message_id in params["message_ids"]:
        if (chat_id, int(message_id)) in state.messages:
            _delete(state, chat_id, int(message_id))
    return True


def _delete(state: TelegramState, chat_id: int | str, message_id: int) -> None:
    message = state.bot_message(chat_id, message_id, action="delete")
    key = (message["chat"]["id"], message_id)
    del state.messages[key]
    state.deleted.add(key)
