"""sendMessage, sendPhoto, sendDocument, sendMediaGroup, sendChatAction: how the bot talks to a chat."""

from __future__ import annotations

import copy
import time
from typing import Any

from .formatting import ParseError, format_text, u16
from .objects import document_object, photo_sizes, strip_reply
from .records import SentMessage, UploadedFile, bad_request
from .registry import method, require
from .state import TelegramState

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
})
_BUTTON_DECORATION = frozenset({"text", "style", "icon_custom_emoji_id", "disabled"})


def formatted(text: str, params: dict[str, Any], entities_key: str) -> tuple[str, list[dict]]:
    try:
        return format_text(text, params.get("parse_mode"), params.get(entities_key))
    except ParseError as exc:
        raise bad_request(f"can't parse entities: {exc}") from exc
    except ValueError as exc:
        raise bad_request(str(exc).removeprefix("Bad Request: ")) from exc


def inline_markup(markup: Any) -> dict | None:
    """Validate a reply_markup; return it when it is an inline keyboard (the only kind Telegram echoes)."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request("can't parse inline keyboard button: field \"inline_keyboard\" must be an Array")
        for button in (b for row in rows for b in row):
            _check_button(button)
        return markup
    if "keyboard" in markup or "remove_keyboard" in markup or "force_reply" in markup:
        return None
    raise bad_request("can't parse reply keyboard markup JSON object")


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not button.get("text"):
        raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
    if not set(button) - _BUTTON_DECORATION:  # a button needs an action: callback_data, url…
        raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
    if "callback_data" in button and not 1 <= len(str(button["callback_data"]).encode()) <= 64:
        raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button and not str(button["url"]).startswith(("http://", "https://", "tg://")):
        raise bad_request("BUTTON_URL_INVALID")


def reply_target(state: TelegramState, chat_id: int, params: dict[str, Any]) -> dict | None:
    """The message being replied to (reply_parameters or the older reply_to_message_id), if any."""
    reply = params.get("reply_parameters") or {}
    message_id = reply.get("message_id") or params.get("reply_to_message_id")
    if not message_id:
        return None
    target_chat = reply.get("chat_id", chat_id)
    target = state.find(target_chat, int(message_id))
    if target is None:
        if reply.get("allow_sending_without_reply") or params.get("allow_sending_without_reply"):
            return None
        raise bad_request("message to be replied not found")
    return strip_reply(target)


def deliver(state: TelegramState, method_name: str, params: dict[str, Any], content: dict[str, Any],
            *, source: str | None, parse_mode_key: str = "parse_mode", **files: Any) -> dict:
    """Create the bot's message in the chat, record it as sent, and return the Message object."""
    chat = state.chat(params["chat_id"])
    state.check_can_send(chat["id"])
    markup = params.get("reply_markup")
    inline = inline_markup(markup)
    target = reply_target(state, chat["id"], params)
    extra = dict(content)
    if target is not None:
        extra["reply_to_message"] = target
    if inline is not None:
        extra["reply_markup"] = inline
    for key in ("link_preview_options", "has_protected_content", "media_group_id", "show_caption_above_media"):
        if params.get(key) is not None:
            extra[key] = params[key]
    if params.get("protect_content"):
        extra["has_protected_content"] = True
    message = state.new_message(chat["id"], state.bot_user, extra)
    plain = message.get("text", message.get("caption"))
    state.sent_messages.append(SentMessage(
        method=method_name, chat_id=chat["id"], message_id=message["message_id"], text=plain, source=source,
        parse_mode=params.get(parse_mode_key),
        entities=list(message.get("entities", message.get("caption_entities", []))),
        reply_to_message_id=target["message_id"] if target else None, reply_markup=markup,
        message=copy.deepcopy(message), params=params, at=time.monotonic(), **files,
    ))
    return copy.deepcopy(message)


def caption_content(params: dict[str, Any]) -> dict[str, Any]:
    caption = params.get("caption")
    if not caption:
        return {}
    text, entities = formatted(caption, params, "caption_entities")
    if u16(text) > CAPTION_LIMIT:
        raise bad_request("message caption is too long")
    content: dict[str, Any] = {"caption": text} if text else {}
    if entities:
        content["caption_entities"] = entities
    return content


@method("sendMessage")
def send_message(state: TelegramState, params: dict[str, Any]) -> dict:
    require(params, "chat_id")
    text, entities = formatted(str(params.get("text", "")), params, "entities")
    if not text:
        raise bad_request("message text is empty")
    if u16(text) > TEXT_LIMIT:
        raise bad_request("message is too long")
    content: dict[str, Any] = {"text": text}
    if entities:
        content["entities"] = entities
    return deliver(state, "sendMessage", params, content, source=params.get("text"))


@method("sendPhoto")
def send_photo(state: TelegramState, params: dict[str, Any]) -> dict:
    require(params, "chat_id", "photo")
    stored, _ = state.file_data(params["photo"], "AgAC", "jpg")
    content = {"photo": photo_sizes(stored.file_id, stored.file_unique_id, stored.data), **caption_content(params)}
    if params.get("has_spoiler"):
        content["has_media_spoiler"] = True
    return deliver(state, "sendPhoto", params, content, source=params.get("caption"), photo=stored.data)


@method("sendDocument")
def send_document(state: TelegramState, params: dict[str, Any]) -> dict:
    require(params, "chat_id", "document")
    stored, filename = state.file_data(params["document"], "BQAC", "bin")
    upload = params["document"] if isinstance(params["document"], UploadedFile) else None
    name = filename or stored.file_path.rsplit("/", 1)[-1]
    content = {
        "document": document_object(stored.file_id, stored.file_unique_id, name, stored.data,
                                    upload.content_type if upload else None),
        **caption_content(params),
    }
    return deliver(state, "sendDocument", params, content, source=params.get("caption"),
                   document=stored.data, filename=name)


@method("sendMediaGroup")
def send_media_group(state: TelegramState, params: dict[str, Any]) -> list[dict]:
    require(params, "chat_id", "media")
    media = params["media"]
    if not isinstance(media, list) or not 2 <= len(media) <= 10:
        raise bad_request("wrong number of media items, must be 2-10")
    group_id = str(13_000_000_000_000_000 + len(state.sent_messages))
    sent = []
    for item in media:
        item_params = {**params, **item, "media_group_id": group_id}
        item_params.pop("media", None)
        if item.get("type") == "photo":
            item_params["photo"] = item.get("media")
            sent.append(send_photo(state, item_params))
        elif item.get("type") == "document":
            item_params["document"] = item.get("media")
            sent.append(send_document(state, item_params))
        else:
            raise bad_request(f"unsupported media type {item.get('type')!r} in the fake")
        state.sent_messages[-1].method = "sendMediaGroup"
    return sent


@method("sendChatAction")
def send_chat_action(state: TelegramState, params: dict[str, Any]) -> bool:
    require(params, "chat_id", "action")
    chat = state.chat(params["chat_id"])
    state.check_can_send(chat["id"])
    if params["action"] not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True
