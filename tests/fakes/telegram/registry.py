"""The table of Bot API methods the fake server answers: lower-case name → (canonical name, handler)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .records import bad_request
from .state import TelegramState

Handler = Callable[[TelegramState, dict[str, Any]], Any]
METHODS: dict[str, tuple[str, Handler]] = {}


def method(name: str) -> Callable[[Handler], Handler]:
    """Register a handler; Telegram matches method names case-insensitively, and so do we."""

    def register(handler: Handler) -> Handler:
        METHODS[name.lower()] = (name, handler)
        return handler

    return register


def lookup(name: str) -> tuple[str, Handler] | None:
    return METHODS.get(name.lower())


def require(params: dict[str, Any], *names: str) -> None:
    for name in names:
        if params.get(name) in (None, ""):
            raise bad_request(f"{name} is empty" if name in ("chat_id", "text") else f"parameter {name} is required")
