"""/profit, /daily, /weekly, /performance and /version through the dispatcher (real paper engine)."""

from __future__ import annotations

from aiogram.methods import SendMessage, SendPhoto

from engine.domain.models import CloseReason
from tests.bot.conftest import ADMIN, READER
from tests.bot.flows import tick
from tests.bot.mocked import message_update


async def a_closed_trade(h) -> None:  # type: ignore[no-untyped-def]
    """One ETH/BTC trade: opened, then both targets hit."""
    await h.engine.step_market(1)
    signal = await h.engine.analyse("ETH/BTC")
    result = await h.engine.confirm(signal.id, "test")
    assert result.position is not None
    for target in signal.targets:
        await tick(h.engine, signal.symbol, target.price)
    closed = await h.engine.history(1)
    assert closed and closed[0].close_reason is CloseReason.TARGET
    await h.settle()


async def test_before_any_trade_the_answers_say_so(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    for command in ("/profit", "/performance", "/daily 2", "/daily x", "/weekly 61"):
        await h.feed(message_update(READER, command))
    texts = h.session.texts(READER)
    assert texts[0].endswith("No closed trades yet.") and texts[1].endswith("No closed trades yet.")
    assert "Daily PnL" in texts[2] and texts[2].count("⚪") == 2  # two empty days
    assert texts[3] == "Usage: /daily [n], n from 1 to 60" and texts[4] == "Usage: /weekly [n], n from 1 to 60"
    assert h.session.of(SendPhoto) == []  # no chart of nothing


async def test_results_after_a_trade_with_charts(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    await a_closed_trade(h)
    for command in ("/profit", "/weekly", "/daily", "/performance"):
        await h.feed(message_update(ADMIN, command))
    texts = [t for t in h.session.texts(ADMIN) if t.startswith(("💰", "📅", "🏆"))]
    profit, weekly, daily, performance = texts
    assert "Trades: 1 · won 1 · lost 0 · win rate 100%" in profit and "Best pair: ETH/BTC +" in profit
    assert "Profit factor: no losing trade" in profit and " BTC (+" in profit
    assert "Weekly PnL" in weekly and "🟢" in weekly and "Week" in weekly
    assert "Daily PnL" in daily and "🟢" in daily
    assert "1. 🟢 ETH/BTC +" in performance and "trades: 1, won: 1" in performance
    photos = h.session.of(SendPhoto)
    assert [p.caption for p in photos] == ["Weekly PnL", "Daily PnL"]


async def test_version_names_mode_venue_and_markets(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    await h.feed(message_update(READER, "/version"))
    text = h.session.of(SendMessage)[-1].text
    assert text.startswith("ℹ️ <b>SignalPilot ") and "paper · mode confirm · replay · 4 markets" in text
