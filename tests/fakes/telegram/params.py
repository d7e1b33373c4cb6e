"""Decoding of Bot API request parameters: every form value arrives as a string; give it its real type.

aiogram sends form data (urlencoded, or multipart when a file is attached). Integers and booleans
come as "123" / "true", nested objects (reply_markup, reply_parameters, commands…) as JSON strings,
and files as "attach://<name>" with the bytes in a part called <name>. Only the fields named below
are decoded, so a message text that happens to look like JSON stays text.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from .records import UploadedFile, bad_request

JSON_FIELDS = frozenset({
    "reply_markup", "reply_parameters", "link_preview_options", "entities", "caption_entities",
    "commands", "scope", "allowed_updates", "media", "results", "permissions", "options",
    "reaction", "message_ids", "menu_button",
})
INT_FIELDS = frozenset({
    "chat_id", "message_id", "from_chat_id", "user_id", "offset", "limit", "timeout",
    "reply_to_message_id", "cache_time", "message_thread_id", "max_connections", "width", "height",
    "duration", "until_date",
})
BOOL_FIELDS = frozenset({
    "disable_notification", "protect_content", "allow_sending_without_reply", "disable_web_page_preview",
    "show_alert", "drop_pending_updates", "has_spoiler", "disable_content_type_detection",
    "show_caption_above_media", "is_personal", "allow_paid_broadcast", "revoke_messages",
})


def decode_value(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        if key in JSON_FIELDS:
            return json.loads(value)
        if key in INT_FIELDS:
            return int(value) if value.lstrip("-").isdigit() else value  # "@channel" stays a string
        if key in BOOL_FIELDS:
            return value.lower() in ("true", "1")
    except (ValueError, json.JSONDecodeError) as exc:
        raise bad_request(f"can't parse {key} JSON object") from exc
    return value


async def read_params(request: web.Request) -> dict[str, Any]:
    """All parameters of a request (query string, urlencoded, multipart or JSON), decoded."""
    raw: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise bad_request("request body must be a JSON object")
            raw.update(json_fields(body))
        else:
            raw.update(_form_fields(await request.post()))
    return decode_fields(raw)


def decode_fields(raw: dict[str, Any]) -> dict[str, Any]:
    """Typed parameters from raw form fields (strings and uploaded files), attach:// resolved."""
    files = {k: v for k, v in raw.items() if isinstance(v, UploadedFile)}
    params = {k: decode_value(k, v) for k, v in raw.items() if not isinstance(v, UploadedFile)}
    return _attach(params, files)


def json_fields(body: dict[str, Any]) -> dict[str, Any]:
    """A JSON request body as form fields would carry it: nested values as JSON strings."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}


def _form_fields(form: MultiMapping) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, value in form.items():
        if isinstance(value, web.FileField):
            fields[key] = UploadedFile(
                name=key, filename=value.filename, content_type=value.content_type, data=value.file.read()
            )
        else:
            fields[key] = value
    return fields


_PLAIN_TEXT = frozenset({"text", "caption", "question", "description", "short_description"})


def _attach(params: dict[str, Any], files: dict[str, UploadedFile]) -> dict[str, Any]:
    """Replace every "attach://<name>" (also inside JSON such as sendMediaGroup's media) by its file.

    A part uploaded directly under a field's own name (photo=<file part>) becomes that field.
    """
    referenced = set()
    _collect_refs({k: v for k, v in params.items() if k not in _PLAIN_TEXT}, referenced)
    out = {k: v if k in _PLAIN_TEXT else resolve_attachments(v, files) for k, v in params.items()}
    for name, file in files.items():
        if name not in referenced:
            out.setdefault(name, file)
    return out


def _collect_refs(value: Any, found: set[str]) -> None:
    if isinstance(value, str) and value.startswith("attach://"):
        found.add(value[len("attach://"):])
    elif isinstance(value, dict):
        for item in value.values():
            _collect_refs(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect_refs(item, found)


def resolve_attachments(value: Any, files: dict[str, UploadedFile]) -> Any:
    if isinstance(value, str) and value.startswith("attach://"):
        name = value[len("attach://"):]
        if name not in files:
            raise bad_request(f"file {name} not found in the request")
        return files[name]
    if isinstance(value, dict):
        return {k: resolve_attachments(v, files) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_attachments(v, files) for v in value]
    return value
