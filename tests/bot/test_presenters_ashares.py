"""A-shares as users read them: shares and CNY, and T+1 ("cannot exit yet") on the entry alert and
the position card, in English and Chinese."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from bot.i18n import make_i18n, use
from bot.presenters import alerts, reports
from engine.domain.events import PositionOpened
from engine.domain.models import Position, PositionState, Target
from engine.domain.values import Side
from engine.facade import PositionView

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
NEXT = datetime(2026, 12, 3, 1, 30, tzinfo=UTC)  # the next session, 09:30 in Shanghai
I18N = make_i18n()


def stock() -> Position:
    return Position(id="p1", signal_id="s1", symbol="600000.SH", side=Side.LONG, state=PositionState.OPEN,
                    qty=Decimal(9800), remaining=Decimal(9800), entry_price=Decimal("10.19"),
                    stop_price=Decimal("10.01"), initial_stop=Decimal("10.01"),
                    targets=(Target(Decimal("10.50"), Decimal(1)),), leverage=1, created_at=NOW, opened_at=NOW)


def test_the_entry_alert_is_in_shares_and_cny_and_says_it_cannot_exit_yet():
    with use(I18N, "en"):
        text = alerts.entry_filled(PositionOpened(ts=NOW, position=stock()))
    assert "9,800 shares at 10.19 CNY" in text and "leverage" not in text
    assert "Cannot exit yet (T+1)" in text
    with use(I18N, "zh"):
        text = alerts.entry_filled(PositionOpened(ts=NOW, position=stock()))
    assert "9,800 股，价格 10.19 元" in text and "T+1" in text


def test_the_position_card_says_when_the_stop_is_armed():
    view = PositionView(stock(), Decimal("10.25"), Decimal("588"), sellable_from=NEXT)
    with use(I18N, "en"):
        text = reports.position_line(view, paper=False)
    assert "Size 9,800 shares (open 9,800) · CNY" in text
    assert "Cannot exit yet (T+1): stop and targets armed from 2026-12-03 09:30 Asia/Shanghai" in text
    with use(I18N, "en"):
        later = reports.position_line(PositionView(stock(), Decimal("10.25"), Decimal("588")), paper=False)
    assert "Cannot exit yet" not in later
