"""Keeps the bot token out of every log line (defence in depth: nothing should log it anyway)."""

from __future__ import annotations

import logging

_LOGGERS = ("bot", "aiogram", "aiogram.dispatcher", "aiogram.event", "aiogram.middlewares", "aiogram.webhook",
            "aiohttp.client", "aiohttp.server", "aiohttp.access")


class TokenFilter(logging.Filter):
    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.token:
            return True
        try:
            message = record.getMessage()
        except Exception:
            return True
        if self.token in message:
            record.msg = message.replace(self.token, "***")
            record.args = ()
        if record.exc_text and self.token in record.exc_text:
            record.exc_text = record.exc_text.replace(self.token, "***")
        return True


_installed: set[str] = set()


def protect_token(token: str) -> None:
    """Install the filter on the root handlers and on the bot's and aiogram's loggers."""
    if not token or token in _installed:
        return
    _installed.add(token)
    token_filter = TokenFilter(token)
    for handler in logging.getLogger().handlers:
        handler.addFilter(token_filter)
    for name in _LOGGERS:
        logging.getLogger(name).addFilter(token_filter)
