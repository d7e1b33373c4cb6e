"""Façade reads and runtime settings: status, PnL by period, history, chart data, manual close,
settings validated and persisted so that they override the environment after a restart."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.domain.models import CloseReason, PositionState
from engine.market.base import PriceTick
from engine.views import ConfirmOutcome, SettingError


async def test_runtime_settings_validate_and_survive_restart(engine_factory, db_url_factory) -> None:  # type: ignore[no-untyped-def]
    url = db_url_factory()
    first = await engine_factory(url, risk={"max_positions": 5})
    assert first.runtime_settings()["max_positions"] == "5"
    ok = await first.update_setting("max_positions", "3")
    assert ok.ok and ok.value == "3"
    bad = await first.update_setting("max_positions", "zero")
    assert not bad.ok and bad.error is SettingError.INVALID_VALUE and bad.detail == "1–50"
    out_of_range = await first.update_setting("min_score", "140")
    assert not out_of_range.ok and out_of_range.detail == "0–100"
    unknown = await first.update_setting("colour", "blue")
    assert not unknown.ok and unknown.error is SettingError.UNKNOWN_KEY
    assert (await first.update_setting("execution_mode", "AUTO")).value == "auto"
    await first.update_setting("scan_interval_min", "15")
    await first.stop()
    second = await engine_factory(url, risk={"max_positions": 5})
    values = second.runtime_settings()
    assert values["max_positions"] == "3" and values["execution_mode"] == "auto" and values["scan_interval_min"] == "15"


async def test_manual_close_status_pnl_history_chart(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await engine_factory()
    await engine.step_market(1)
    status = await engine.status()
    assert status.paper and status.mode == "confirm" and status.open_positions == 0 and status.symbols == 4
    assert status.balance.currency == "BTC" and status.balance.equity == Decimal("1")
    sig = await engine.analyse("XMR")
    assert sig is not None and sig.symbol == "XMR/BTC"
    assert await engine.analyse("DOGE/BTC") is None
    opened = await engine.confirm(sig.id, by="7")
    assert opened.outcome is ConfirmOutcome.OPENED
    assert (await engine.status()).open_positions == 1
    assert (await engine.find_open_position("xmrbtc")).id == opened.position.id
    await engine.on_tick(PriceTick("XMR/BTC", sig.entry * Decimal("1.01"), engine.clock.now()))
    views = await engine.positions()
    assert views[0].unrealized * sig.side.sign > 0 or views[0].unrealized < 0
    result = await engine.close_position(opened.position.id, by="7")
    assert result.ok and result.position.state is PositionState.CLOSED
    assert result.position.close_reason is CloseReason.MANUAL
    again = await engine.close_position(opened.position.id, by="7")
    assert not again.ok and again.detail == "not_open"
    assert (await engine.close_position("nope", by="7")).detail == "not_found"

    history = await engine.history(5)
    assert [p.id for p in history] == [opened.position.id]
    stats = await engine.pnl("today")
    assert stats.trades == 1 and stats.net_pnl == history[0].realized_pnl and stats.fees == history[0].fees
    assert stats.daily[0][1] == history[0].realized_pnl and stats.equity_curve
    with pytest.raises(ValueError):
        await engine.pnl("yesterday")

    chart = await engine.chart_data("XMR/BTC", "15m", 60)
    assert 0 < len(chart.candles) <= 60
    assert {lv.name for lv in chart.levels} >= {"entry", "stop", "tp1", "tp2"}
    assert [m.kind for m in chart.markers][:1] == ["entry"] and chart.markers[-1].kind == "manual"
    with pytest.raises(ValueError):
        await engine.chart_data("NOPE/BTC")
    with pytest.raises(ValueError):
        await engine.chart_data("XMR/BTC", "7x")


async def test_pause_resume_and_user_memory(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await engine_factory()
    assert await engine.pause("1") is True and await engine.pause("1") is False
    assert (await engine.status()).trading_state == "paused"
    assert await engine.resume("1") is True and await engine.resume("1") is False
    await engine.set_user_language(42, "zh")
    assert await engine.user_language(42) == "zh" and await engine.user_language(43) is None
    await engine.save_card("sig", 42, 100)
    assert await engine.cards("sig") == [(42, 100)]
