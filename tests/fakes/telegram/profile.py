"""Bot profile and chat housekeeping a bot does at start-up: name, descriptions, menu button, getChat, pins.

Texts are kept per language in `TelegramState.profile[(field, language_code)]`, pins in the chat objects.
"""

from __future__ import annotations

import copy
from typing import Any

from .misc import language_of
from .records import bad_request
from .registry import method, require
from .state import TelegramState

_LIMITS = {"name": 64, "description": 512, "short_description": 120}


def _setter(field: str):
    def set_text(state: TelegramState, params: dict[str, Any]) -> bool:
        value = params.get(field) or ""
        if len(value) > _LIMITS[field]:
            raise bad_request(f"{field.upper()}_INVALID")
        key = (field, language_of(params))
        if value:
            state.profile[key] = value
        else:
            state.profile.pop(key, None)
        return True

    return set_text


def _getter(field: str):
    def get_text(state: TelegramState, params: dict[str, Any]) -> dict:
        language = language_of(params)
        value = state.profile.get((field, language), state.profile.get((field, ""), ""))
        if field == "name" and not value:
            value = state.bot_user["first_name"]
        return {field: value}

    return get_text


for _field, _suffix in (("name", "Name"), ("description", "Description"), ("short_description", "ShortDescription")):
    method(f"setMy{_suffix}")(_setter(_field))
    method(f"getMy{_suffix}")(_getter(_field))


@method("setChatMenuButton")
def set_chat_menu_button(state: TelegramState, params: dict[str, Any]) -> bool:
    button = params.get("menu_button") or {"type": "default"}
    state.profile[("menu_button", str(params.get("chat_id") or ""))] = button
    return True


@method("getChatMenuButton")
def get_chat_menu_button(state: TelegramState, params: dict[str, Any]) -> dict:
    chat = str(params.get("chat_id") or "")
    return state.profile.get(("menu_button", chat), state.profile.get(("menu_button", ""), {"type": "commands"}))


@method("getChat")
def get_chat(state: TelegramState, params: dict[str, Any]) -> dict:
    require(params, "chat_id")
    chat = copy.deepcopy(state.chat(params["chat_id"]))
    gifts = {"unlimited_gifts": True, "limited_gifts": True, "unique_gifts": True,
             "premium_subscription": True, "gifts_from_channels": True}
    info = {**chat, "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}
    pinned = [m for m in state.pins.get(chat["id"], []) if (chat["id"], m) in state.messages]
    if pinned:
        info["pinned_message"] = copy.deepcopy(state.messages[(chat["id"], pinned[-1])])
    return info


@method("pinChatMessage")
def pin_chat_message(state: TelegramState, params: dict[str, Any]) -> bool:
    require(params, "chat_id", "message_id")
    message = state.find(params["chat_id"], int(params["message_id"]))
    if message is None:
        raise bad_request("message to pin not found")
    state.pins.setdefault(message["chat"]["id"], []).append(message["message_id"])
    return True


@method("unpinChatMessage")
def unpin_chat_message(state: TelegramState, params: dict[str, Any]) -> bool:
    require(params, "chat_id")
    chat_id = state.chat(params["chat_id"])["id"]
    pins = state.pins.get(chat_id, [])
    target = params.get("message_id") or (pins[-1] if pins else None)
    if target is None or target not in pins:
        raise bad_request("message to unpin not found")
    pins.remove(target)
    return True
