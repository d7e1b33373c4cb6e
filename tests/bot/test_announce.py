"""The admins get one line when SignalPilot starts and one when it stops (mode, venue, markets, version),
in their language; readers get neither."""

from __future__ import annotations

from dataclasses import replace

from tests.bot.conftest import ADMIN, ADMIN2, FAST, READER


async def test_start_and_stop_are_announced_to_the_admins(live_bot) -> None:  # type: ignore[no-untyped-def]
    live = await live_bot(options=replace(FAST, announce=True))
    tg = live.tg
    for admin in (ADMIN, ADMIN2):
        started = await tg.wait_sent(admin, contains="started")
        assert started.text is not None and started.text.startswith("🟢 SignalPilot ")
        assert "started: paper · mode confirm · replay · 4 markets." in started.text
    await live.stop()
    for admin in (ADMIN, ADMIN2):
        stopped = [m.text for m in tg.sent(admin) if m.text and "stopped" in m.text]
        assert len(stopped) == 1 and stopped[0].startswith("🔴 SignalPilot ")
    assert tg.sent(READER) == []
