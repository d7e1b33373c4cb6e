"""What users read: signal cards and alerts, in English and Chinese, escaped for HTML."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.i18n import make_i18n, use
from bot.presenters import actions, alerts, cards, reports
from engine.domain.events import (
    EngineError,
    PanicCompleted,
    PanicItem,
    PositionClosed,
    PositionOpened,
    RiskRejected,
    StopMovedToBreakeven,
    TargetHit,
    TradingPaused,
)
from engine.domain.models import CloseReason, FactorScore, Position, PositionState, Signal, Target
from engine.domain.reasons import ErrorCode, PauseReason, RejectReason
from engine.domain.values import Side

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
I18N = make_i18n()


def signal(symbol: str = "ETH/BTC") -> Signal:
    factors = (
        FactorScore("ema_trend", 1.0, 1.0, 0.3, 31.4),
        FactorScore("macd", 0.5, 0.5, 0.2, 12.2),
        FactorScore("rsi", 60.0, 0.3, 0.15, 5.1),
        FactorScore("funding", None, 0.0, 0.1, 0.0, available=False),
        FactorScore("adx", 20.0, 0.1, 0.15, 1.0),
    )
    return Signal(id="s1", symbol=symbol, side=Side.LONG, score=82.4, factors=factors,
                  entry=Decimal("0.098123"), stop=Decimal("0.0961605"),
                  targets=(Target(Decimal("0.10204792"), Decimal("0.5")), Target(Decimal("0.10597284"), Decimal("0.5"))),
                  leverage=5, created_at=NOW, expires_at=NOW + timedelta(minutes=15))


def position() -> Position:
    s = signal()
    return Position(id="p1", signal_id=s.id, symbol=s.symbol, side=s.side, state=PositionState.OPEN,
                    qty=Decimal("2.0"), remaining=Decimal("2.0"), entry_price=s.entry, stop_price=s.stop,
                    initial_stop=s.stop, targets=s.targets, leverage=5, created_at=NOW, opened_at=NOW)


def test_card_shows_the_whole_plan() -> None:
    with use(I18N, "en"):
        text = cards.card(signal(), paper=True, mode="confirm", auto=False, now=NOW)
    assert "LONG ETH/BTC" in text and "(paper)" in text
    assert "Score: <b>82</b>/100 (trend +31, MACD +12, RSI +5)" in text  # top three factors
    assert "Leverage: 5×" in text
    assert "Entry: 0.098123" in text
    assert "Stop: 0.0961605 (-2.00%)" in text
    assert "TP1: 0.102048 (+4.00%), closes 50%" in text
    assert "TP2: 0.105973 (+8.00%), closes 50%" in text
    assert "Expires: 12:15 UTC" in text
    assert "Auto" not in text and "Signal only" not in text


def test_card_modes_say_what_will_happen() -> None:
    with use(I18N, "en"):
        auto = cards.card(signal(), paper=False, mode="auto", auto=True, now=NOW)
        only = cards.card(signal(), paper=False, mode="signal-only", auto=False, now=NOW)
    assert "executing now" in auto and "(paper)" not in auto
    assert "no order will be placed" in only


def test_card_escapes_html_from_data() -> None:
    with use(I18N, "en"):
        text = cards.card(signal("<b>X</b>&Y"), paper=True, mode="confirm", auto=False, now=NOW)
    assert "&lt;b&gt;X&lt;/b&gt;&amp;Y" in text and "<b>X</b>" not in text


def test_card_in_chinese() -> None:
    with use(I18N, "zh"):
        text = cards.card(signal(), paper=True, mode="confirm", auto=False, now=NOW)
    assert "做多 ETH/BTC" in text and "（模拟盘）" in text
    assert "杠杆：5×" in text and "止损：0.0961605" in text and "TP1：0.102048" in text
    assert "Entry" not in text


def test_drift_card_shows_the_new_price_and_asks_again() -> None:
    moved = replace(signal(), entry=Decimal("0.0990"))
    with use(I18N, "en"):
        text = cards.drift(Decimal("0.098123"), moved, Decimal("0.0990"), paper=True, now=NOW)
    assert "from 0.098123 to 0.099 (+0.89%)" in text and "confirm again?" in text
    assert "Entry: 0.099" in text


def test_tp1_alert_with_breakeven_uses_the_words_literally() -> None:
    pos = replace(position(), remaining=Decimal("1.0"), targets_hit=1, breakeven=True,
                  stop_price=Decimal("0.098172"))
    hit = TargetHit(ts=NOW, position=pos, target=1, qty=Decimal("1.0"), price=Decimal("0.102048"),
                    pnl=Decimal("0.0038"), new_stop=Decimal("0.098172"))
    be = StopMovedToBreakeven(ts=NOW, position=pos, old_stop=Decimal("0.0961605"), new_stop=Decimal("0.098172"))
    with use(I18N, "en"):
        text = alerts.target_hit(hit, be)
    assert "TP1 hit" in text and "(paper)" in text
    assert "Closed 50% (1) at 0.102048, PnL +0.0038" in text
    assert "Stop moved to breakeven: 0.098172" in text


def test_final_target_alert_has_total_pnl() -> None:
    pos = replace(position(), remaining=Decimal("0"), targets_hit=2, state=PositionState.CLOSED)
    hit = TargetHit(ts=NOW, position=pos, target=2, qty=Decimal("1.0"), price=Decimal("0.105973"),
                    pnl=Decimal("0.0078"), new_stop=None)
    closed = PositionClosed(ts=NOW, position=pos, reason=CloseReason.TARGET, pnl=Decimal("0.0116"),
                            fees=Decimal("0.0002"))
    with use(I18N, "en"):
        text = alerts.target_hit(hit, closed=closed)
    assert "TP2 hit" in text and "Total PnL +0.0116" in text


@pytest.mark.parametrize(("reason", "words"), [
    (CloseReason.STOP, "Stop hit"), (CloseReason.BREAKEVEN, "Breakeven stop hit"),
    (CloseReason.TRAILING, "Trailing stop hit"), (CloseReason.TIME, "Time exit"),
])
def test_exit_alerts_name_the_exit(reason: CloseReason, words: str) -> None:
    ev = PositionClosed(ts=NOW, position=position(), reason=reason, pnl=Decimal("-0.002"), fees=Decimal("0.0001"),
                        exit_price=Decimal("0.0961605"))
    with use(I18N, "en"):
        text = alerts.position_closed(ev)
    assert words in text and "Exit at 0.0961605" in text and "Total PnL -0.002" in text


def test_entry_alert() -> None:
    with use(I18N, "en"):
        text = alerts.entry_filled(PositionOpened(ts=NOW, position=position()))
    assert "Entry filled" in text and "2 at 0.098123, leverage 5×" in text
    assert "Stop 0.0961605 · TP1 0.102048 · TP2 0.105973" in text
    assert "keeps working" not in text


def test_entry_alert_of_a_partly_filled_limit_entry_says_the_rest_keeps_working() -> None:
    for lang, head, rest in (("en", "Entry partly filled", "The rest of the limit order keeps working"),
                             ("zh", "开仓部分成交", "限价单剩余部分继续挂单")):
        with use(I18N, lang):
            text = alerts.entry_filled(PositionOpened(ts=NOW, position=position(), partial=True))
        assert head in text and rest in text and "0.0961605" in text


def test_rejection_pause_and_error_alerts_explain_why() -> None:
    rejected = RiskRejected(ts=NOW, signal=signal(), reason=RejectReason.MAX_POSITIONS, detail={"limit": "5"})
    paused = TradingPaused(ts=NOW, reason=PauseReason.DAILY_LOSS, until=NOW + timedelta(hours=12))
    error = EngineError(ts=NOW, code=ErrorCode.STOP_NOT_PLACED, detail="<code -2021>")
    with use(I18N, "en"):
        assert "the maximum number of open positions is reached (limit 5)" in alerts.risk_rejected(rejected)
        text = alerts.trading_paused(paused)
        assert "daily loss limit reached" in text and "Until 2026-03-02 00:00 UTC" in text
        err = alerts.engine_error(error, "ETH/BTC")
        assert "stop order could not be placed · ETH/BTC" in err and "&lt;code -2021&gt;" in err
    with use(I18N, "zh"):
        assert "已达最大持仓数（上限 5）" not in alerts.risk_rejected(rejected)  # parentheses stay ASCII
        assert "已达最大持仓数 (上限 5)" in alerts.risk_rejected(rejected)


def test_panic_answer_has_one_line_per_item() -> None:
    done = PanicCompleted(ts=NOW, by="@admin", items=(
        PanicItem(kind="position", ref="p1", symbol="ETH/BTC", ok=True, pnl=Decimal("0.001"),
                  margin=Decimal("0.05")),
        PanicItem(kind="position", ref="p2", symbol="LTC/BTC", ok=False, detail="exchange_down"),
        PanicItem(kind="order", ref="sp-p3-sl-0", symbol="XMR/BTC", ok=True),
    ))
    with use(I18N, "en"):
        text = actions.panic_result(done)
    lines = text.split("\n")
    assert lines[1].endswith("position ETH/BTC: closed, PnL +0.001 BTC (+2.00%)")
    assert "position LTC/BTC: failed (exchange_down)" in lines[2]
    assert "order XMR/BTC (stop): cancelled" in lines[3]


def test_history_lists_trades_newest_first() -> None:
    closed = replace(position(), state=PositionState.CLOSED, closed_at=NOW, close_reason=CloseReason.BREAKEVEN,
                     realized_pnl=Decimal("0.0012"))
    with use(I18N, "en"):
        text = reports.history([closed])
    assert "ETH/BTC LONG 0.098123 →" in text and "+0.0012" in text and "breakeven stop" in text


def test_exchange_lost_and_found_alerts_and_status_in_both_languages() -> None:
    from engine.domain.events import VenueConnected, VenueUnreachable
    from engine.views import StatusView

    since = NOW - timedelta(minutes=7)
    down = VenueUnreachable(ts=since, venue="binanceusdm", since=since, detail="load markets: <refused>")
    up = VenueConnected(ts=NOW, venue="binanceusdm", down_since=since, markets=412)
    view = StatusView(mode="confirm", paper=False, trading_state="active", pause_reason=None, paused_until=None,
                      balance=None, open_positions=1, today_pnl=Decimal("0"), next_scan=None, last_scan=None,
                      symbols=0, venue_down_since=since)
    with use(I18N, "en"):
        assert alerts.venue_unreachable(down).splitlines()[:2] == [
            "📡 <b>Exchange unreachable</b> · binanceusdm (paper)",
            "Since 11:53 UTC. I keep retrying; commands still work. Scanning and trading start when the exchange "
            "answers."]
        assert "&lt;refused&gt;" in alerts.venue_unreachable(down)
        assert alerts.venue_connected(up).splitlines()[1:] == [
            "Unreachable since 11:53 UTC.", "Markets loaded (412), state reconciled; scanning and trading resumed."]
        status = reports.status(view, NOW)
        assert "⚠️ Exchange unreachable since 11:53 UTC: retrying" in status
        assert "Equity" not in status and "Today's PnL: +0" in status  # no live balance while it is down
    with use(I18N, "zh"):
        assert "交易所无法连接" in alerts.venue_unreachable(down)
        assert "交易所已恢复连接" in alerts.venue_connected(up) and "412" in alerts.venue_connected(up)
        assert "交易所自 11:53 UTC 起无法连接" in reports.status(view, NOW)


def test_amounts_in_a_refusal_carry_their_currency() -> None:
    ev = RiskRejected(ts=NOW, signal=signal("ETH/USDT"), reason=RejectReason.INSUFFICIENT_MARGIN,
                      detail={"margin": "123.456789", "free": "50.1"})
    with use(I18N, "en"):
        assert "not enough free margin (needs 123.46 USDT, free 50.10 USDT)" in alerts.risk_rejected(ev)
    with use(I18N, "zh"):
        assert "123.46 USDT" in alerts.risk_rejected(ev)


def test_history_is_coloured_by_result_and_says_one_trade_right() -> None:
    won = replace(position(), state=PositionState.CLOSED, realized_pnl=Decimal("0.001"), closed_at=NOW)
    lost = replace(won, realized_pnl=Decimal("-0.002"), side=Side.SHORT)
    with use(I18N, "en"):
        one = reports.history([lost])
        assert one.startswith("<b>Last closed trade</b>\n🔴 ETH/BTC SHORT") and "-0.00200000 BTC (" not in one
        assert "<b>-0.002 BTC (" in one
        two = reports.history([won, lost])
        assert two.startswith("<b>Last 2 closed trades</b>\n🟢 ETH/BTC LONG")
    with use(I18N, "zh"):
        assert reports.history([won]).startswith("<b>最近 1 笔已平仓交易</b>")
