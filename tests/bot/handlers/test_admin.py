"""/pause, /resume and /panic (red second tap, expiry, one run at a time) through the dispatcher."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage

from tests.bot.conftest import ADMIN, ADMIN2, FAST, UNPACED
from tests.bot.flows import buttons
from tests.bot.mocked import callback_update, message_update
from tests.bot.stepclock import StepClock


async def test_pause_and_resume(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    for command in ("/pause", "/pause", "/resume", "/resume"):
        await h.feed(message_update(ADMIN, command))
    assert h.session.texts(ADMIN) == [
        "⏸ New entries paused. Open positions are still managed.", "⏸ Already paused.",
        "▶️ Trading resumed.", "▶️ Trading was not paused."]


async def test_panic_needs_a_red_second_tap_and_closes_everything(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot(sections={"risk": {"risk_per_trade_pct": "0.25"}})
    await h.engine.step_market(1)
    for symbol in ("ETH/BTC", "LTC/BTC"):
        signal = await h.engine.analyse(symbol)
        assert (await h.engine.confirm(signal.id, "test")).position is not None
    await h.settle()
    await h.feed(message_update(ADMIN, "/panic"))
    prompt = h.session.of(SendMessage)[-1]
    assert "Tap the red button within 30 s" in prompt.text
    [button] = buttons(prompt)
    assert button.style == "danger" and button.callback_data.startswith("pn:go:")
    assert len(await h.engine.positions()) == 2  # nothing happens on the first step
    await h.feed(callback_update(ADMIN2, button.callback_data, message_id=prompt_id(h)))
    assert await h.engine.positions() == []
    result = h.session.of(EditMessageText)[-1].text.split("\n")
    assert result[0].startswith("🚨 <b>Panic done</b>")
    closed = [line for line in result if line.startswith("✅ position ")]
    assert sorted(line.split(":")[0] for line in closed) == ["✅ position ETH/BTC", "✅ position LTC/BTC"]
    assert all(": closed, PnL " in line for line in closed)
    assert (await h.engine.status()).trading_state == "paused"
    await h.feed(callback_update(ADMIN, button.callback_data, message_id=prompt_id(h)))  # used already
    assert h.session.of(AnswerCallbackQuery)[-1].text.startswith("Panic request expired")


async def until_true(check, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    """Wait for a state (a hang guard, not a timing assumption)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "state not reached"
        await asyncio.sleep(0.005)


def prompt_id(h) -> int:  # type: ignore[no-untyped-def]
    return 1000 + len(h.session.of(SendMessage)) - 1


async def test_an_unused_panic_request_expires(unit_bot) -> None:  # type: ignore[no-untyped-def]
    clock = StepClock()
    h = await unit_bot(options=replace(FAST, panic_ttl=30, clock=clock, limits=UNPACED))
    await h.feed(message_update(ADMIN, "/panic"))
    prompt = h.session.of(SendMessage)[-1]
    clock.advance(29)
    await h.settle()
    assert not h.session.of(EditMessageText)  # still live one second before the end
    clock.advance(1)
    await h.settle()
    edit = h.session.of(EditMessageText)[-1]
    assert edit.text.startswith("Panic request expired") and edit.reply_markup is None
    await h.feed(callback_update(ADMIN, buttons(prompt)[0].callback_data, message_id=edit.message_id))
    assert h.session.of(AnswerCallbackQuery)[-1].text.startswith("Panic request expired")
    assert (await h.engine.status()).trading_state == "active"


async def test_a_second_panic_while_one_runs_does_not_run_twice(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    runs: list[str] = []
    gate = asyncio.Event()
    real_panic = h.engine.panic

    class SlowEngine:  # the engine, with a panic that takes a while (a busy exchange)
        def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
            return getattr(h.engine, name)

        async def panic(self, by: str):  # type: ignore[no-untyped-def]
            runs.append(by)
            await gate.wait()
            return await real_panic(by)

    h.dp["engine"] = SlowEngine()
    await h.feed(message_update(ADMIN, "/panic"))
    first = buttons(h.session.of(SendMessage)[-1])[0].callback_data
    await h.feed(message_update(ADMIN2, "/panic", lang="en"))
    second = buttons(h.session.of(SendMessage)[-1])[0].callback_data
    running = asyncio.create_task(h.dp.feed_update(h.bot, callback_update(ADMIN, first, message_id=1000)))
    await until_true(lambda: bool(runs))  # the first panic is inside the engine
    await h.feed(callback_update(ADMIN2, second, message_id=1001))
    await h.feed(message_update(ADMIN2, "/panic"))
    assert h.session.of(AnswerCallbackQuery)[-1].text == "Panic is already running."
    assert h.session.texts(ADMIN2)[-1] == "Panic is already running."
    gate.set()
    await running
    await h.settle()
    assert runs == ["User111 (111)"]
    assert h.session.of(EditMessageText)[-1].text.startswith("🚨 <b>Panic done</b>")


async def test_panic_works_while_a_scan_is_busy_and_trading_is_paused(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot(sections={"risk": {"risk_per_trade_pct": "0.25"}})
    await h.engine.step_market(1)
    signal = await h.engine.analyse("ETH/BTC")
    await h.engine.confirm(signal.id, "test")
    await h.engine.pause("test")
    release, scan_started = asyncio.Event(), asyncio.Event()
    real_scan = h.engine.scan_now

    class BusyEngine:  # a scan that hangs (a slow exchange) — panic must not wait for it
        def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
            return getattr(h.engine, name)

        async def scan_now(self):  # type: ignore[no-untyped-def]
            scan_started.set()
            await release.wait()
            return await real_scan()

    h.dp["engine"] = BusyEngine()
    scanning = asyncio.create_task(h.dp.feed_update(h.bot, message_update(ADMIN, "/scan")))
    await asyncio.wait_for(scan_started.wait(), 30)  # the scan is busy in the engine
    await h.feed(message_update(ADMIN, "/panic"))
    prompt = next(m for m in h.session.of(SendMessage) if "red button" in m.text)
    await asyncio.wait_for(h.feed(callback_update(ADMIN, buttons(prompt)[0].callback_data, message_id=5)), 30)
    assert await h.engine.positions() == [] and not scanning.done()
    assert "✅ position ETH/BTC: closed" in h.session.of(EditMessageText)[-1].text
    release.set()
    await scanning
