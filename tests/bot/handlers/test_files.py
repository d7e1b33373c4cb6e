"""/backup sends a fresh copy of the database to the admin who asks; /export sends closed trades as CSV;
readers are refused both."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from aiogram.methods import SendDocument

from tests.bot.conftest import ADMIN, READER
from tests.bot.mocked import message_update


async def test_backup_and_export_for_the_admin_who_asks(unit_bot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot(sections={"backup": {"dir": str(tmp_path / "backups")}})
    await h.feed(message_update(ADMIN, "/backup"))
    sent = h.session.of(SendDocument)
    assert len(sent) == 1 and sent[0].chat_id == ADMIN
    doc = sent[0].document
    assert doc.filename.startswith("signalpilot-") and doc.filename.endswith(".db")
    assert "Database backup" in sent[0].caption
    copy = tmp_path / "got.db"
    copy.write_bytes(doc.data)
    tables = {r[0] for r in sqlite3.connect(copy).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"signals", "positions", "orders"} <= tables

    await h.feed(message_update(ADMIN, "/export"))
    csv_doc = h.session.of(SendDocument)[-1]
    assert csv_doc.document.filename == "trades.csv" and csv_doc.caption.endswith("Closed trades: 0")
    assert csv_doc.document.data.decode().startswith("position_id,signal_id,symbol,side")


async def test_readers_are_refused(unit_bot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot(sections={"backup": {"dir": str(tmp_path / "backups")}})
    await h.feed(message_update(READER, "/backup"))
    await h.feed(message_update(READER, "/export"))
    assert h.session.of(SendDocument) == []
    assert len(h.session.texts(READER)) == 2
