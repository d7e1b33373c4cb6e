"""getMe, bot commands, callback answers, files and webhook settings of the fake Telegram server."""

from __future__ import annotations

import re
from typing import Any

from .records import bad_request
from .registry import method, require
from .state import TelegramState

_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_SCOPES = {"default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
           "chat_administrators", "chat_member"}
BAD_QUERY = "query is too old and response timeout expired or query ID is invalid"


@method("getMe")
def get_me(state: TelegramState, params: dict[str, Any]) -> dict:
    return {**state.bot_user, "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False, "can_connect_to_business": False, "has_main_web_app": False}


@method("logOut")
@method("close")
def log_out(state: TelegramState, params: dict[str, Any]) -> bool:
    return True


# ---------------------------------------------------------------- commands

def scope_key(scope: dict | None) -> str:
    """"default", "all_private_chats", "chat:<id>", "chat_member:<chat>:<user>"… — the key in `commands`."""
    scope = scope or {"type": "default"}
    kind = scope.get("type")
    if kind not in _SCOPES:
        raise bad_request("can't parse BotCommandScope JSON object")
    if kind in ("chat", "chat_administrators", "chat_member"):
        if not scope.get("chat_id"):
            raise bad_request("chat_id is empty")
        if kind == "chat_member":
            return f"{kind}:{scope['chat_id']}:{scope.get('user_id')}"
        return f"{kind}:{scope['chat_id']}"
    return kind


def language_of(params: dict[str, Any]) -> str:
    language = params.get("language_code") or ""
    if language and not re.fullmatch(r"[a-z]{2}", language):
        raise bad_request("invalid language code specified")
    return language


@method("setMyCommands")
def set_my_commands(state: TelegramState, params: dict[str, Any]) -> bool:
    commands = params.get("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND_NAME.fullmatch(str(command.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    key = (scope_key(params.get("scope")), language_of(params))
    if commands:
        state.commands[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
    else:
        state.commands.pop(key, None)
    return True


@method("getMyCommands")
def get_my_commands(state: TelegramState, params: dict[str, Any]) -> list[dict]:
    return list(state.commands.get((scope_key(params.get("scope")), language_of(params)), []))


@method("deleteMyCommands")
def delete_my_commands(state: TelegramState, params: dict[str, Any]) -> bool:
    state.commands.pop((scope_key(params.get("scope")), language_of(params)), None)
    return True


# ---------------------------------------------------------------- callback queries

@method("answerCallbackQuery")
def answer_callback_query(state: TelegramState, params: dict[str, Any]) -> bool:
    query_id = str(params.get("callback_query_id") or "")
    if query_id not in state.callback_queries or query_id in state.callback_answers:
        raise bad_request(BAD_QUERY)
    text = params.get("text")
    if text and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    state.callback_answers[query_id] = {
        "text": text, "show_alert": bool(params.get("show_alert")), "url": params.get("url"),
        "cache_time": params.get("cache_time"),
    }
    return True


# ---------------------------------------------------------------- files

@method("getFile")
def get_file(state: TelegramState, params: dict[str, Any]) -> dict:
    require(params, "file_id")
    file_id = str(params["file_id"])
    stored = state.files.get(file_id) or state.files.get(file_id.rsplit("-", 1)[0])
    if stored is None:
        raise bad_request("invalid file_id")
    result = {"file_id": file_id, "file_unique_id": stored.file_unique_id, "file_path": stored.file_path}
    if stored.data is not None:
        result["file_size"] = len(stored.data)
    return result


# ---------------------------------------------------------------- webhook settings

@method("setWebhook")
def set_webhook(state: TelegramState, params: dict[str, Any]) -> bool:
    url = params.get("url") or ""
    if url and not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if params.get("drop_pending_updates"):
        state.updates.clear()
    state.set_allowed_updates(params.get("allowed_updates"))
    state.webhook = {"url": url, "secret_token": params.get("secret_token"),
                     "max_connections": params.get("max_connections") or 40}
    state.changed.fire()
    return True


@method("deleteWebhook")
def delete_webhook(state: TelegramState, params: dict[str, Any]) -> bool:
    if params.get("drop_pending_updates"):
        state.updates.clear()
    state.webhook = {"url": ""}
    state.changed.fire()
    return True


@method("getWebhookInfo")
def get_webhook_info(state: TelegramState, params: dict[str, Any]) -> dict:
    hook = state.webhook
    info: dict[str, Any] = {"url": hook["url"], "has_custom_certificate": False,
                            "pending_update_count": len(state.updates)}
    if hook["url"]:
        info["max_connections"] = hook.get("max_connections", 40)
        if state.allowed_updates is not None:
            info["allowed_updates"] = sorted(state.allowed_updates)
    for key in ("last_error_date", "last_error_message"):
        if hook.get(key):
            info[key] = hook[key]
    return info
