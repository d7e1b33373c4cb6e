"""Builders of complete Bot API objects (User, Chat, PhotoSize, Document…) that aiogram validates."""

from __future__ import annotations

import mimetypes
import struct

SUPERGROUP_FLOOR = -1_000_000_000_000  # ids at or below this are supergroups/channels ("-100…")


def user_object(user_id: int, first_name: str | None = None, *, username: str | None = None,
                language_code: str | None = None, is_bot: bool = False) -> dict:
    user: dict = {"id": user_id, "is_bot": is_bot, "first_name": first_name or f"User{user_id}"}
    if username:
        user["username"] = username
    if language_code:
        user["language_code"] = language_code
    return user


def chat_object(chat_id: int, user: dict | None = None) -> dict:
    """A private chat for a positive id (named after `user`), a group or supergroup for a negative one."""
    if chat_id > 0:
        chat = {"id": chat_id, "type": "private", "first_name": (user or {}).get("first_name", f"User{chat_id}")}
        if user and user.get("username"):
            chat["username"] = user["username"]
        return chat
    if chat_id <= SUPERGROUP_FLOOR:
        return {"id": chat_id, "type": "supergroup", "title": f"Group {-chat_id}"}
    return {"id": chat_id, "type": "group", "title": f"Group {-chat_id}"}


def image_size(data: bytes | None) -> tuple[int, int]:
    """Width and height of a PNG, GIF or JPEG; (800, 600) when the bytes are not a known image."""
    if not data:
        return 800, 600
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data[:2] == b"\xff\xd8":
        return _jpeg_size(data) or (800, 600)
    return 800, 600


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        i += 2 + length
    return None


def photo_sizes(file_id: str, unique_id: str, data: bytes | None) -> list[dict]:
    """The PhotoSize list Telegram returns: thumbnails up to the full picture, largest last."""
    width, height = image_size(data)
    size = len(data) if data else 0
    longest = max(width, height, 1)
    sizes = []
    for index, limit in enumerate((90, 320, 800, 1280, 2560)):
        scale = min(1.0, limit / longest)
        w, h = max(1, round(width * scale)), max(1, round(height * scale))
        sizes.append({
            "file_id": f"{file_id}-{index}", "file_unique_id": f"{unique_id}-{index}",
            "file_size": max(1, round(size * scale * scale)), "width": w, "height": h,
        })
        if scale == 1.0:
            break
    return sizes


def document_object(file_id: str, unique_id: str, filename: str, data: bytes | None,
                    content_type: str | None = None) -> dict:
    mime = mimetypes.guess_type(filename)[0] or content_type or "application/octet-stream"
    return {"file_id": file_id, "file_unique_id": unique_id, "file_name": filename,
            "mime_type": mime, "file_size": len(data) if data else 0}


def strip_reply(message: dict) -> dict:
    """A message as it appears inside another's reply_to_message (Telegram does not nest further)."""
    return {k: v for k, v in message.items() if k not in ("reply_to_message", "pinned_message")}
