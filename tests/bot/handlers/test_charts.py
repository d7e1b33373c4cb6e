"""/chart and /pnl send PNG photos drawn by engine.charts (in a worker thread), with a short caption."""

from __future__ import annotations

import asyncio
import threading

from aiogram.methods import SendPhoto

from engine import charts
from tests.bot.conftest import ADMIN, READER
from tests.bot.flows import tick
from tests.bot.mocked import message_update

PNG = b"\x89PNG\r\n\x1a\n"


def photo_bytes(method: SendPhoto) -> bytes:
    return method.photo.data  # type: ignore[union-attr]


async def test_chart_is_a_png_with_a_caption(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    await h.engine.step_market(1)
    await h.feed(message_update(READER, "/chart eth"))
    await h.feed(message_update(READER, "/chart ETH/BTC 1h"))
    first, second = h.session.of(SendPhoto)
    assert photo_bytes(first).startswith(PNG) and first.caption == "<b>ETH/BTC</b> · 15m"
    assert second.caption == "<b>ETH/BTC</b> · 1h"


async def test_chart_of_a_traded_symbol_and_the_light_theme(unit_bot) -> None:  # type: ignore[no-untyped-def]
    dark = await unit_bot()
    light = await unit_bot(theme="light")
    for h in (dark, light):
        await h.engine.step_market(1)
        signal = await h.engine.analyse("ETH/BTC")
        await h.engine.confirm(signal.id, "test")
        await tick(h.engine, signal.symbol, signal.targets[0].price)
        await h.feed(message_update(ADMIN, "/chart ETH/BTC"))
    a, b = (photo_bytes(h.session.of(SendPhoto)[-1]) for h in (dark, light))
    assert a.startswith(PNG) and b.startswith(PNG) and a != b


async def test_pnl_sends_the_equity_curve_and_daily_bars(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    await h.engine.step_market(1)
    signal = await h.engine.analyse("ETH/BTC")
    await h.engine.confirm(signal.id, "test")
    await tick(h.engine, signal.symbol, signal.targets[0].price)
    await tick(h.engine, signal.symbol, signal.targets[1].price)
    await h.engine.step_market(4)  # an equity point or two
    await h.feed(message_update(ADMIN, "/pnl all"))
    photos = h.session.of(SendPhoto)
    assert photos and all(photo_bytes(p).startswith(PNG) for p in photos)
    caption = photos[0].caption or ""
    assert "PnL, all time" in caption and "Trades: 1 · won 1 · lost 0 · win rate 100%" in caption
    assert any("Daily PnL" in (p.caption or "") for p in photos)


async def test_the_bot_stays_responsive_while_a_chart_renders(unit_bot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The drawing waits, in its thread, until the event loop has answered: drawn on the loop, it would
    wait for a loop that cannot run (and fail after the guard) — no wall-clock measure involved."""
    h = await unit_bot()
    await h.engine.step_market(1)
    drawing, loop_answered = threading.Event(), threading.Event()
    answered_while_drawing: list[bool] = []
    draw = charts.candles_png

    def draw_once_the_loop_answers(*args, **kwargs):  # type: ignore[no-untyped-def]
        drawing.set()
        answered_while_drawing.append(loop_answered.wait(timeout=30))
        return draw(*args, **kwargs)

    async def answer() -> None:
        while not drawing.is_set():
            await asyncio.sleep(0.001)
        loop_answered.set()  # the loop ran while the picture was being drawn

    monkeypatch.setattr(charts, "candles_png", draw_once_the_loop_answers)
    answering = asyncio.create_task(answer())
    await h.feed(message_update(ADMIN, "/chart ETH/BTC 1h"))
    await asyncio.wait_for(answering, 30)
    assert len(h.session.of(SendPhoto)) == 1 and photo_bytes(h.session.of(SendPhoto)[0]).startswith(PNG)
    assert answered_while_drawing == [True]
