"""Alerts are never lost: the real bot (run_bot, aiogram over HTTP) against the fake Bot API behind a
relay the test takes down; the bot's timers run on a clock the test moves, so a five-minute outage
takes no five real minutes. The engine keeps alerts in its outbox until Telegram confirms them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest

from bot.app import run_bot
from engine.domain.events import EngineError, TradingPaused
from engine.domain.reasons import ErrorCode, PauseReason
from engine.facade import Engine
from tests.bot.conftest import ADMIN, ADMIN2, FAST
from tests.bot.flows import tick
from tests.bot.outage import Outage
from tests.bot.stepclock import StepClock
from tests.conftest import POSTGRES_URL
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegram

ONE_SYMBOL = {"scan": {"min_score": 0, "symbols": ["ETH/BTC"]}}


@dataclass
class Running:
    engine: Engine
    stop_event: asyncio.Event
    task: asyncio.Task[None]

    async def stop(self) -> None:
        self.stop_event.set()
        await asyncio.wait_for(self.task, 30)
        await self.engine.stop()


@pytest.fixture
async def outage(fake_telegram: FakeTelegram) -> AsyncIterator[Outage]:
    relay = await Outage(fake_telegram.port).start()
    yield relay
    await relay.close()


@pytest.fixture(params=["sqlite"] + (["postgres"] if POSTGRES_URL else []))
async def db_url(request: pytest.FixtureRequest, db_url_factory) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return str(db_url_factory())
    from engine.storage.db import Database
    from tests.conftest import _reset_postgres

    db = Database(POSTGRES_URL)  # type: ignore[arg-type]
    await _reset_postgres(db)
    await db.close()
    return str(POSTGRES_URL)


@pytest.fixture
async def start_bot(engine_factory, outage: Outage):  # type: ignore[no-untyped-def]
    """``await start_bot(db_url, clock, **telegram)`` → an engine on ``db_url`` and the real bot around it."""
    running: list[Running] = []

    async def make(db_url: str, clock: StepClock, sections: dict[str, Any] | None = None,
                   **telegram: Any) -> Running:
        section = {"token": DEFAULT_TOKEN, "api_base": outage.base_url, "admins": [ADMIN, ADMIN2], **telegram}
        engine = await engine_factory(db_url, telegram=section, **(sections or {}))
        stop = asyncio.Event()
        task = asyncio.create_task(run_bot(engine, engine.settings, stop, options=replace(FAST, clock=clock)),
                                   name="test-run-bot")
        run = Running(engine, stop, task)
        running.append(run)
        return run

    yield make
    for run in running:
        if not run.task.done():
            run.stop_event.set()
            await asyncio.wait_for(run.task, 30)


def alerts_in(tg: FakeTelegram, chat: int) -> list[str]:
    return [m.text or "" for m in tg.sent(chat) if "Score:" not in (m.text or "")]


async def eventually(clock: StepClock, done: Callable[[], bool]) -> None:
    await clock.run_until(done, limit=24 * 3600)


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 20) -> None:
    """Wait for a state (polling it), never for a fixed time."""
    async def loop() -> None:
        while not await check():
            await asyncio.sleep(0.01)
    await asyncio.wait_for(loop(), timeout)


async def test_five_minute_outage_with_a_restart_every_alert_arrives_once_in_order(
        start_bot, fake_telegram: FakeTelegram, outage: Outage, db_url: str) -> None:  # type: ignore[no-untyped-def]
    tg, clock = fake_telegram, StepClock()
    first = await start_bot(db_url, clock, sections=ONE_SYMBOL)
    await tg.wait_for("getMe", timeout=10)  # polling (and so the notifier) has started
    await first.engine.step_market(1)  # the scan raises a card in both admin chats
    await eventually(clock, lambda: all(_sent(tg, c, "Score:") for c in (ADMIN, ADMIN2)))
    signal = await first.engine.get_signal(_signal_id(_sent(tg, ADMIN, "Score:")[0]))
    assert signal is not None and (await first.engine.confirm(signal.id, "test")).position is not None
    await eventually(clock, lambda: all(_sent(tg, c, "Entry filled") for c in (ADMIN, ADMIN2)))
    await until(lambda: _no_pending(first.engine))  # confirmed and marked before the outage begins

    await outage.down()  # Telegram is gone for five minutes (on the clock)
    went_down = clock.now()
    sent_before = {chat: len(alerts_in(tg, chat)) for chat in (ADMIN, ADMIN2)}
    await tick(first.engine, signal.symbol, signal.targets[0].price)  # TP1 fills during the outage
    await eventually(clock, lambda: clock.now() - went_down > timedelta(minutes=2))
    await first.stop()  # restart in the middle of the outage

    second = await start_bot(db_url, clock, sections=ONE_SYMBOL)
    await tick(second.engine, signal.symbol, signal.targets[1].price)  # TP2 fills while the bot restarts
    await eventually(clock, lambda: clock.now() - went_down > timedelta(minutes=5))
    assert {chat: len(alerts_in(tg, chat)) for chat in (ADMIN, ADMIN2)} == sent_before  # nothing got through
    assert len(await second.engine.pending_alerts()) >= 3  # TP1 + breakeven, TP2 + close: kept

    await outage.up()
    await eventually(clock, lambda: all(any("TP2 hit" in t for t in alerts_in(tg, c)) for c in (ADMIN, ADMIN2)))
    await until(lambda: _no_pending(second.engine))
    for chat in (ADMIN, ADMIN2):
        thread = alerts_in(tg, chat)
        assert len(thread) == 3, "\n---\n".join(thread)  # exactly once each, in order
        entry, tp1, tp2 = thread
        assert "Entry filled" in entry
        assert "TP1 hit" in tp1 and "Stop moved to breakeven" in tp1
        assert "TP2 hit" in tp2 and "Total PnL" in tp2
        card_id = _sent(tg, chat, "Score:")[0].message_id
        replies = [m.reply_to_message_id for m in tg.sent(chat) if "Score:" not in (m.text or "")]
        assert replies == [card_id] * 3  # still a thread under the card
    await second.stop()


async def test_alerts_older_than_the_limit_are_folded_into_one_summary(
        start_bot, engine_factory, fake_telegram: FakeTelegram, db_url: str) -> None:  # type: ignore[no-untyped-def]
    tg, clock = fake_telegram, StepClock()
    # the engine ran without the bot (or Telegram was away): three alerts wait in the outbox
    alone = await engine_factory(db_url)
    now = alone.clock.now()
    await alone.bus.publish(TradingPaused(ts=now, reason=PauseReason.DAILY_LOSS, until=now + timedelta(hours=3)))
    await alone.bus.publish(EngineError(ts=now, code=ErrorCode.STOP_NOT_PLACED, detail="venue said no"))
    await alone.bus.publish(EngineError(ts=now, code=ErrorCode.EXCHANGE_REJECTED, detail="insufficient margin"))
    await alone.set_user_language(ADMIN2, "zh")
    alone.clock.set(now + timedelta(hours=30))  # type: ignore[attr-defined]
    await alone.bus.publish(EngineError(ts=alone.clock.now(), code=ErrorCode.RECONCILED, detail="fills_applied=1"))
    later = alone.clock.now()
    await alone.stop()

    run = await start_bot(db_url, clock)
    run.engine.clock.set(max(later, run.engine.clock.now()))  # type: ignore[attr-defined]
    await eventually(clock, lambda: all(_sent(tg, c, "fills_applied=1") for c in (ADMIN, ADMIN2)))
    summary, fresh = alerts_in(tg, ADMIN)
    assert "Older alerts, not delivered in time: 3" in summary
    assert "daily loss limit reached" in summary and "the stop order could not be placed" in summary
    assert "the exchange rejected an order" in summary and "venue said no" not in summary  # one line each
    assert "Needs attention" in fresh and "reconciled" in fresh  # recent: sent as it is
    summary_zh, _fresh_zh = alerts_in(tg, ADMIN2)
    assert "未能及时送达的较早提醒：3" in summary_zh
    await until(lambda: _no_pending(run.engine))
    await run.stop()


async def _no_pending(engine: Engine) -> bool:
    return not await engine.pending_alerts()


def _sent(tg: FakeTelegram, chat: int, contains: str) -> list[Any]:
    return [m for m in tg.sent(chat) if contains in (m.text or "")]


def _signal_id(card: Any) -> str:
    return str(card.button("Confirm")["callback_data"]).split(":")[-1]
