"""When the database is gone mid-run, the admins still hear about it over Telegram (the real bot
against the fake Bot API): the alert is rendered and queued without the database — each admin in
the language the bot already knew (zh for one, the default for the other) — and the bot stops."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event

from engine.domain.events import StorageFault
from engine.storage.db import StorageUnavailable
from tests.bot.conftest import ADMIN, ADMIN2


async def make_gone(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Every connection from now on opens a file in a folder that does not exist."""
    db = engine.database
    sync = db.engine.sync_engine
    event.remove(sync, "do_connect", db._on_connect)

    def elsewhere(_dialect, _record, cargs, _cparams):  # type: ignore[no-untyped-def]
        cargs[0] = str(tmp_path / "no-such-folder" / "paper.db")

    event.listen(sync, "do_connect", elsewhere)
    event.listen(sync, "do_connect", db._on_connect)
    await db.engine.dispose()


async def test_admins_hear_that_the_database_is_gone_without_the_database(live_bot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    live = await live_bot()
    tg, engine = live.tg, live.engine
    tg.user_message(ADMIN, "/lang zh")
    await tg.wait_sent(ADMIN, contains="语言：简体中文")
    await make_gone(engine, tmp_path)
    mark = tg.mark()
    with pytest.raises(StorageUnavailable):
        await engine.history()  # any use of the database now fails for good
    zh = await tg.wait_sent(ADMIN, contains="数据库已无法写入", since=mark, timeout=30)
    en = await tg.wait_sent(ADMIN2, contains="The database stopped taking writes", since=mark, timeout=30)
    assert "无法连接数据库" in (zh.text or "") and "止损和止盈订单保留在交易所" in (zh.text or "")
    assert "the database cannot be reached" in (en.text or "")
    assert "Stop and take-profit orders stay on the exchange." in (en.text or "")
    assert engine.failure is not None and engine.failure.fault is StorageFault.GONE
    assert engine.failed.is_set()
    await live.stop()
