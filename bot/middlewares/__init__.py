"""Middlewares, in the order they run on every message and button press:
i18n (the user's language) → auth (admins and users only) → throttling (per-user rate)."""

from bot.middlewares.auth import AuthMiddleware
from bot.middlewares.i18n import LanguageMiddleware
from bot.middlewares.throttling import ThrottlingMiddleware

__all__ = ["AuthMiddleware", "LanguageMiddleware", "ThrottlingMiddleware"]
