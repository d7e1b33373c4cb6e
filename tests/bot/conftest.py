"""Fixtures for the bot: a real paper engine on the bundled replay (``engine_factory`` from
tests/conftest.py), and the bot around it — either on a mocked session (``unit_bot``: handler
tests with ``dp.feed_update``) or over HTTP against the fake Bot API server (``live_bot``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import Update

from bot.app import Options, build_dispatcher, run_bot
from bot.delivery import Delivery, Limits
from bot.notifier import Notifier
from engine.facade import Engine
from tests.bot.mocked import TOKEN, MockedSession
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegram

ADMIN = 111
ADMIN2 = 222
READER = 333
STRANGER = 999

FAST_LIMITS = Limits(per_chat_interval=0.01, group_per_minute=1000, global_per_second=1000,
                     backoff_base=0.05, backoff_max=0.2)
UNPACED = replace(FAST_LIMITS, per_chat_interval=0)  # with a stepped clock: no pacing waits to move through
FAST = Options(limits=FAST_LIMITS, panic_ttl=30.0, polling_timeout=1, drain_timeout=2.0,
               throttle_limit=50, throttle_period=1.0, announce=False)


def telegram_section(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"admins": [ADMIN, ADMIN2], "users": [READER]}
    base.update(overrides)
    return base


@dataclass
class UnitBot:
    engine: Engine
    bot: Bot
    session: MockedSession
    dp: Dispatcher
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def delivery(self) -> Delivery:
        return self.dp["delivery"]

    @property
    def notifier(self) -> Notifier:
        return self.dp["notifier"]

    async def feed(self, update: Update) -> None:
        await self.dp.feed_update(self.bot, update)
        await self.settle()

    async def settle(self) -> None:
        """Wait until the notifier and the delivery queue have nothing left to do."""
        for _ in range(3):
            await self.notifier.idle()
            await self.delivery.drain(5)
            await asyncio.sleep(0)


@pytest.fixture
async def unit_bot(engine_factory) -> AsyncIterator[Callable[..., Awaitable[UnitBot]]]:  # type: ignore[no-untyped-def]
    """``await unit_bot(options=..., db_url=..., **telegram)`` → a bot on a mocked session over a real engine."""
    made: list[UnitBot] = []

    async def make(*, options: Options = FAST, db_url: str | None = None, sections: dict | None = None,
                   **telegram: Any) -> UnitBot:
        engine = await engine_factory(db_url, telegram=telegram_section(token=TOKEN, **telegram), **(sections or {}))
        session = MockedSession()
        bot = Bot(TOKEN, session=session)
        dp = build_dispatcher(engine, engine.settings, bot=bot, options=options)
        dp["notifier"].start()
        harness = UnitBot(engine, bot, session, dp)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        await harness.notifier.stop()
        await harness.delivery.stop(1)
        await harness.dp["panic_desk"].close()


@dataclass
class LiveBot:
    tg: FakeTelegram
    engine: Engine
    stop_event: asyncio.Event
    task: asyncio.Task[None]

    async def stop(self) -> None:
        self.stop_event.set()
        await asyncio.wait_for(self.task, 10)


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as tg:
        yield tg


@pytest.fixture
async def live_bot(engine_factory, fake_telegram: FakeTelegram):  # type: ignore[no-untyped-def]
    """``await live_bot(options=..., db_url=..., **telegram)`` → the real bot (run_bot) polling the fake server."""
    running: list[LiveBot] = []

    async def make(*, options: Options = FAST, db_url: str | None = None, sections: dict | None = None,
                   wait_ready: bool = True, **telegram: Any) -> LiveBot:
        section = telegram_section(token=DEFAULT_TOKEN, api_base=fake_telegram.base_url, **telegram)
        engine = await engine_factory(db_url, telegram=section, **(sections or {}))
        stop = asyncio.Event()
        mark = fake_telegram.mark()
        task = asyncio.create_task(run_bot(engine, engine.settings, stop, options=options), name="test-run-bot")
        live = LiveBot(fake_telegram, engine, stop, task)
        running.append(live)
        if wait_ready:
            await fake_telegram.wait_for("getMe", since=mark, timeout=10)  # polling starts right after
        return live

    yield make
    for live in running:
        if not live.task.done():
            await live.stop()
