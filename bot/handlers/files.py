"""/backup (a fresh copy of the database, sent to the admin who asks) and /export (closed trades as CSV)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.delivery import Delivery
from bot.filters import IsAdmin
from bot.handlers.common import reply
from bot.presenters import files
from engine.errors import BackupError
from engine.facade import Engine

TELEGRAM_FILE_LIMIT = 50 * 1024 * 1024  # what a bot may upload


async def backup(message: Message, engine: Engine, delivery: Delivery) -> None:
    try:
        path = await engine.backup_now()
    except BackupError as exc:
        await reply(message, delivery, files.backup_failed(str(exc).splitlines()[0]))
        return
    if path.stat().st_size > TELEGRAM_FILE_LIMIT:
        await reply(message, delivery, files.backup_failed(f"{path.name} is larger than 50 MB; it is in {path.parent}"))
        return
    delivery.send_document(message.chat.id, path.read_bytes(), path.name, files.backup_caption(path.name))


async def export(message: Message, engine: Engine, delivery: Delivery) -> None:
    data = await engine.trades_csv()
    count = max(0, data.count(b"\n") - 1)
    delivery.send_document(message.chat.id, data, "trades.csv", files.export_caption(count))


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.register(backup, Command("backup"), IsAdmin())
    router.message.register(export, Command("export"), IsAdmin())
    return router
