"""Captions and answers of /backup and /export."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from bot import format as fmt


def backup_caption(name: str) -> str:
    return "💾 " + _("Database backup {name}").format(name=fmt.esc(name))


def backup_failed(why: str) -> str:
    return "⚠️ " + _("No backup: {why}").format(why=fmt.esc(why))


def export_caption(count: int) -> str:
    return "📄 " + _("Closed trades: {count}").format(count=count)
