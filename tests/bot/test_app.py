"""Start-up and shutdown of the Telegram front end: an unreachable Telegram is retried, a refused
token is a clear error, and the token never appears in a log line."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest

from bot.app import TelegramTokenRejected, build_bot, run_bot
from config.settings import TelegramSettings
from tests.bot.conftest import FAST, telegram_section
from tests.fakes.telegram_api import FakeTelegram

SECRET_TOKEN = "123456:SuperSecretTokenValue_do_not_log"


def dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_unreachable_telegram_is_retried_and_stop_still_works(engine_factory,  # type: ignore[no-untyped-def]
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    section = telegram_section(token=SECRET_TOKEN, api_base=f"http://127.0.0.1:{dead_port()}")
    engine = await engine_factory(telegram=section)
    stop = asyncio.Event()
    with caplog.at_level(logging.DEBUG):
        task = asyncio.create_task(run_bot(engine, engine.settings, stop, options=FAST))
        await asyncio.sleep(1.3)
        assert not task.done()  # still trying, not crashed
        stop.set()
        await asyncio.wait_for(task, 5)
    assert "deleteWebhook failed (TelegramNetworkError); retrying" in caplog.text
    assert SECRET_TOKEN not in caplog.text and "SuperSecret" not in caplog.text


async def test_a_refused_token_is_a_clear_error_without_the_token(engine_factory) -> None:  # type: ignore[no-untyped-def]
    async with FakeTelegram() as tg:
        engine = await engine_factory(telegram=telegram_section(token=SECRET_TOKEN, api_base=tg.base_url))
        with pytest.raises(TelegramTokenRejected) as caught:
            await run_bot(engine, engine.settings, asyncio.Event(), options=FAST)
    assert "SP_TELEGRAM__TOKEN" in str(caught.value) and "SuperSecret" not in str(caught.value)


async def test_bot_talks_to_the_configured_api_base() -> None:
    async with FakeTelegram() as tg:
        bot = build_bot(TelegramSettings(token=tg.token, api_base=tg.base_url + "/"))  # type: ignore[arg-type]
        me = await bot.get_me()
        await bot.session.close()
    assert me.username == "signalpilot_test_bot" and tg.calls_to("getMe")


def test_no_token_is_refused_at_build() -> None:
    with pytest.raises(ValueError, match="SP_TELEGRAM__TOKEN"):
        build_bot(TelegramSettings())


async def test_exchange_down_at_start_is_told_once_and_status_says_since_when(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The real bot over HTTP, the engine on live data with the exchange refusing connections, time
    moved by the test: one alert per admin however many retries, /status says since when, and an
    alert when the exchange answers again."""
    from datetime import UTC, datetime

    from bot.app import Options
    from config.settings import Settings
    from tests.bot.conftest import ADMIN, ADMIN2, FAST_LIMITS
    from tests.clocks import SteppedClock
    from tests.engine.test_venue_unreachable import RECONNECT, _engine, _settings, free_port
    from tests.fakes.binance import FakeBinance

    port = free_port()
    base = _settings(port, tmp_path / "p.db", live=False)
    clock = SteppedClock(datetime(2026, 5, 4, 7, 30, tzinfo=UTC))
    async with FakeTelegram() as tg:
        settings = Settings(_env_file=None, **{**base.model_dump(exclude={"telegram"}),  # type: ignore[arg-type]
                                               "telegram": telegram_section(token=tg.token, api_base=tg.base_url)})
        engine = await _engine(settings, clock)
        fake = FakeBinance()
        stop = asyncio.Event()
        try:
            await engine.start(run_feed=False, run_jobs=False)
            task = asyncio.create_task(run_bot(engine, settings, stop, options=Options(
                limits=FAST_LIMITS, polling_timeout=1, drain_timeout=2.0)))
            for admin in (ADMIN, ADMIN2):
                alert = await tg.wait_sent(admin, contains="Exchange unreachable", timeout=20)
                assert "Since 07:30 UTC" in (alert.text or "")
            for _ in range(3):  # three more failed attempts: nobody hears about them
                clock.advance(await clock.sleeper(RECONNECT))
            await clock.sleeper(RECONNECT)
            tg.user_message(ADMIN, "/status")
            status = await tg.wait_sent(ADMIN, contains="Status", timeout=20)
            assert "Exchange unreachable since 07:30 UTC" in (status.text or "")
            assert "Equity: 10,000" in (status.text or "") or "Equity: 10000" in (status.text or "")
            mark = tg.mark()
            await fake.start(port)
            clock.advance(await clock.sleeper(RECONNECT))
            back = await tg.wait_sent(ADMIN2, contains="Exchange reachable again", since=mark, timeout=20)
            assert "Unreachable since 07:30 UTC" in (back.text or "")
            for admin in (ADMIN, ADMIN2):
                assert sum((m.text or "").startswith("📡") for m in tg.sent(admin)) == 1
            stop.set()
            await asyncio.wait_for(task, 10)
        finally:
            stop.set()
            await engine.stop()
            await fake.close()
