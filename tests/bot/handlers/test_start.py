"""/start tells every user their own Telegram user id: what goes into SP_TELEGRAM__ADMINS."""

from __future__ import annotations

from tests.bot.conftest import ADMIN, READER
from tests.bot.mocked import message_update


async def test_start_shows_the_users_own_id(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    await h.feed(message_update(ADMIN, "/start"))
    await h.feed(message_update(READER, "/start", lang="zh-hans"))
    admin_text, = h.session.texts(ADMIN)
    assert "You are an admin" in admin_text and admin_text.endswith(f"Your Telegram user id: <code>{ADMIN}</code>")
    reader_text, = h.session.texts(READER)
    assert reader_text.endswith(f"你的 Telegram 用户 ID：<code>{READER}</code>")
