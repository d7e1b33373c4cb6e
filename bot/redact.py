"""Keeps the bot token out of every log line (defence in depth: nothing should log it anyway).

The masking itself is the engine's shared ``RedactingFilter``; this only registers the token as a
secret and installs that filter where aiogram and aiohttp log.
"""

from __future__ import annotations

import logging

from engine.facade import RedactingFilter, register_secret

_LOGGERS = ("bot", "aiogram", "aiogram.dispatcher", "aiogram.event", "aiogram.middlewares", "aiogram.webhook",
            "aiohttp.client", "aiohttp.server", "aiohttp.access")

_FILTER = RedactingFilter()


def protect_token(token: str) -> None:
    """Install the filter on the root handlers and on the bot's and aiogram's loggers."""
    if not token:
        return
    register_secret(token)
    targets = [*logging.getLogger().handlers, *(logging.getLogger(name) for name in _LOGGERS)]
    for target in targets:
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)
