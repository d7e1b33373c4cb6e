"""End to end over HTTP, live mode: the real aiogram bot (run_bot) against the fake Bot API, the
live engine against the fake Binance with the real ccxt client. TP2 fills while the bot is down;
after the restart the user reads "TP2 hit … Total PnL" as a reply to the signal's card, exactly
as if it had happened live — and no "needs attention" alert.

The restarted bot starts listening before the engine starts here, so the events that recovery
publishes reach it; making alerts of the engine's start durable in the production order (engine
first, then the bot) is the alert outbox's part.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.app import run_bot
from engine.domain.events import PositionClosed
from engine.facade import Engine
from tests.bot.conftest import ADMIN, FAST, telegram_section
from tests.engine.live.harness import BTC, EventLog, build_live_engine, live_settings, until
from tests.fakes.binance import FakeBinance
from tests.fakes.telegram_api import DEFAULT_TOKEN, FakeTelegram

VID = "BTCUSDT"


@pytest.fixture
async def fake() -> AsyncIterator[FakeBinance]:
    async with FakeBinance() as venue:
        yield venue


class Run:
    """One run of the program: the live engine and the bot around it, on one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.stop_event = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def stop(self) -> None:
        self.stop_event.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, 10)
        if self.engine.started:
            await self.engine.stop()


@pytest.fixture
async def program(fake: FakeBinance, fake_telegram: FakeTelegram, db_url_factory):  # type: ignore[no-untyped-def]
    url = db_url_factory()
    runs: list[Run] = []

    async def start() -> Run:
        settings = live_settings(fake.http_base, url, scan={"symbols": [BTC], "min_score": 0},
                                 telegram=telegram_section(token=DEFAULT_TOKEN, api_base=fake_telegram.base_url))
        run = Run(await build_live_engine(settings))
        runs.append(run)
        mark = fake_telegram.mark()
        run.task = asyncio.create_task(run_bot(run.engine, settings, run.stop_event, options=FAST))
        await fake_telegram.wait_for(lambda c: c.method == "getUpdates", since=mark, timeout=10)  # listening
        return run

    yield start
    for run in runs:
        await run.stop()


async def test_tp2_filled_while_the_bot_was_down_is_told_as_a_reply_to_the_card_after_restart(program, fake, fake_telegram) -> None:  # type: ignore[no-untyped-def]
    tg = fake_telegram
    first = await program()
    await first.engine.start(run_feed=False, run_jobs=False)
    mark = tg.mark()
    await first.engine.scan_now()
    card = await tg.wait_sent(ADMIN, contains="Score:", since=mark)
    tg.press_button(ADMIN, card, "Confirm")
    entry = await tg.wait_sent(ADMIN, contains="Entry filled")
    assert entry.reply_to_message_id == card.message_id
    pid = first.engine.manager.open_positions()[0].id
    await until(lambda: len([a for a in fake.algo_orders.values() if a.is_open]) == 3, what="stop and targets")
    tp1 = next(a for a in fake.algo_orders.values() if a.client_algo_id == f"sp-{pid}-tp1-0")
    fake.set_price(VID, tp1.trigger_price)
    tp1_alert = await tg.wait_sent(ADMIN, contains="TP1 hit")
    assert tp1_alert.reply_to_message_id == card.message_id
    await until(lambda: any(a.is_open and a.client_algo_id == f"sp-{pid}-sl-1" for a in fake.algo_orders.values()),
                what="the stop at breakeven")
    await first.stop()

    tp2 = next(a for a in fake.algo_orders.values() if a.client_algo_id == f"sp-{pid}-tp2-0")
    fake.set_price(VID, tp2.trigger_price)  # TP2 fills while the bot is down
    assert fake.positions == {}

    second = await program()
    log = EventLog(second.engine)
    mark = tg.mark()
    await second.engine.start(run_feed=False, run_jobs=False)
    await log.wait_for(PositionClosed)
    tp2_alert = await tg.wait_sent(ADMIN, contains="TP2 hit", since=mark)
    assert tp2_alert.reply_to_message_id == card.message_id
    assert "Total PnL +" in (tp2_alert.text or "")
    await asyncio.sleep(0.5)  # the notifier's merge window: nothing else trails behind
    after_tp1 = [m.text for m in tg.sent(ADMIN) if m.message_id > tp1_alert.message_id]
    assert after_tp1 == [tp2_alert.text]  # no "needs attention", nothing twice
