"""Engine events become cards and alerts: one alert per key event, as a reply to the signal's card,
in each recipient chat; TP1 and its breakeven move read as one alert, TP2 and the close too."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from aiogram.exceptions import TelegramServerError
from aiogram.methods import EditMessageText, SendMessage

from engine.domain.events import EngineError, TradingPaused
from engine.domain.reasons import ErrorCode, PauseReason
from tests.bot.conftest import ADMIN, ADMIN2, FAST, FAST_LIMITS
from tests.bot.flows import button_data, buttons, tick
from tests.bot.mocked import callback_update

ONE_SYMBOL = {"scan": {"min_score": 0, "symbols": ["ETH/BTC"]}}


async def raise_card(h):  # type: ignore[no-untyped-def]
    """The scheduled scan at the first replayed bar raises one ETH/BTC card per admin."""
    await h.engine.step_market(1)
    await h.settle()
    cards = {int(m.chat_id): m for m in h.session.of(SendMessage) if "Score:" in m.text}
    assert set(cards) == {ADMIN, ADMIN2}
    signal_id = button_data(cards[ADMIN], "Confirm").split(":")[-1]
    return cards, await h.engine.get_signal(signal_id)


def card_ids(h) -> dict[int, int]:  # type: ignore[no-untyped-def]
    """chat → message id of the card (the mocked session numbers messages in sending order)."""
    ids = {}
    for n, request in enumerate(r for r in h.session.requests if isinstance(r, SendMessage)):
        if "Score:" in request.text:
            ids[int(request.chat_id)] = 1000 + n
    return ids


def alerts(h, chat: int) -> list[SendMessage]:  # type: ignore[no-untyped-def]
    return [m for m in h.session.of(SendMessage) if int(m.chat_id) == chat and "Score:" not in m.text]


async def test_a_trade_reads_as_one_thread_in_every_admin_chat(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot(sections=ONE_SYMBOL)
    cards, signal = await raise_card(h)
    ids = card_ids(h)
    await h.feed(callback_update(ADMIN, button_data(cards[ADMIN], "Confirm"), message_id=ids[ADMIN]))
    edited = {int(e.chat_id) for e in h.session.of(EditMessageText) if "Confirmed by" in e.text}
    assert edited == {ADMIN, ADMIN2}  # the other admin's card lost its buttons too
    await tick(h.engine, signal.symbol, signal.targets[0].price)
    await h.settle()
    await tick(h.engine, signal.symbol, signal.targets[1].price)
    await h.settle()
    for chat in (ADMIN, ADMIN2):
        thread = alerts(h, chat)
        assert len(thread) == 3, [m.text for m in thread]
        entry, tp1, tp2 = (m.text for m in thread)
        assert "Entry filled" in entry and "(paper)" in entry
        assert "TP1 hit" in tp1 and "Closed 50%" in tp1 and "Stop moved to breakeven" in tp1
        assert "TP2 hit" in tp2 and "Total PnL +" in tp2
        assert all(m.reply_parameters.message_id == ids[chat] for m in thread)


async def test_stop_and_breakeven_exits(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot(sections={"risk": {"risk_per_trade_pct": "0.25"}})
    await h.engine.step_market(1)
    await h.settle()
    signals = {}
    for symbol in ("ETH/BTC", "LTC/BTC"):
        signal = await h.engine.analyse(symbol)
        signals[symbol] = signal
        assert (await h.engine.confirm(signal.id, "test")).position is not None
    eth, ltc = signals["ETH/BTC"], signals["LTC/BTC"]
    await tick(h.engine, eth.symbol, eth.stop)
    await tick(h.engine, ltc.symbol, ltc.targets[0].price)
    await tick(h.engine, ltc.symbol, ltc.entry)
    await h.settle()
    texts = [m.text for m in alerts(h, ADMIN)]
    assert any("Stop hit" in t and "ETH/BTC" in t and "Total PnL -" in t for t in texts)
    assert any("Breakeven stop hit" in t and "LTC/BTC" in t for t in texts)


async def test_auto_and_signal_only_cards(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot(sections={**ONE_SYMBOL, "risk": {"execution_mode": "auto"}})
    await h.engine.step_market(1)
    await h.settle()
    card = next(m for m in h.session.of(SendMessage) if "Score:" in m.text)
    assert "Auto mode: executing now…" in card.text and card.reply_markup is None
    assert any("Entry filled" in m.text for m in alerts(h, ADMIN))
    only = await unit_bot(sections={**ONE_SYMBOL, "risk": {"execution_mode": "signal-only"}})
    await only.engine.step_market(1)
    await only.settle()
    card = next(m for m in only.session.of(SendMessage) if "Score:" in m.text)
    assert "Signal only" in card.text and not buttons(card)


async def test_a_risk_rejection_is_explained_under_the_card(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot(sections=ONE_SYMBOL)
    cards, signal = await raise_card(h)
    await h.engine.pause("test")
    await h.feed(callback_update(ADMIN, button_data(cards[ADMIN], "Confirm"), message_id=card_ids(h)[ADMIN]))
    refused = [m for m in alerts(h, ADMIN2) if "Entry refused" in m.text]
    assert len(refused) == 1 and "Why: trading is paused." in refused[0].text
    assert refused[0].reply_parameters.message_id == card_ids(h)[ADMIN2]
    last_edit = [e for e in h.session.of(EditMessageText) if int(e.chat_id) == ADMIN2][-1]
    assert "Not opened: trading is paused." in last_edit.text


async def test_pauses_by_the_risk_limits_and_errors_reach_the_admins(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    now = h.engine.clock.now()
    await h.engine.bus.publish(TradingPaused(ts=now, reason=PauseReason.DAILY_LOSS, until=now.replace(hour=23)))
    await h.engine.bus.publish(TradingPaused(ts=now, reason=PauseReason.MANUAL, by="someone"))  # they know
    await h.engine.bus.publish(EngineError(ts=now, code=ErrorCode.STOP_NOT_PLACED, detail="venue said no"))
    await h.settle()
    texts = h.session.texts(ADMIN)
    assert len(texts) == 2
    assert "New entries paused" in texts[0] and "daily loss limit reached" in texts[0] and "23:" in texts[0]
    assert "Needs attention" in texts[1] and "venue said no" in texts[1]


async def test_alerts_go_to_the_configured_chat_only(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot(sections=ONE_SYMBOL, chat_id=-100123)
    await h.engine.step_market(1)
    await h.settle()
    assert {int(m.chat_id) for m in h.session.of(SendMessage)} == {-100123}


async def test_a_broken_telegram_never_breaks_the_engine(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot(sections=ONE_SYMBOL, options=replace(FAST, limits=replace(FAST_LIMITS, max_attempts=2)))
    for _ in range(40):
        h.session.add_result(TelegramServerError(method=None, message="down"))  # type: ignore[arg-type]
    await h.engine.step_market(3)  # the scan and its cards fail to send; the replay goes on
    assert (await h.engine.status()).open_positions == 0
    await h.settle()
    assert h.delivery.failed >= 1


async def test_after_a_restart_alerts_still_reply_to_the_card(unit_bot, db_url_factory) -> None:  # type: ignore[no-untyped-def]
    url = db_url_factory()
    h = await unit_bot(db_url=url, sections=ONE_SYMBOL)
    cards, signal = await raise_card(h)
    ids = card_ids(h)
    await h.feed(callback_update(ADMIN, button_data(cards[ADMIN], "Confirm"), message_id=ids[ADMIN]))
    await h.notifier.stop()
    await h.engine.stop()
    again = await unit_bot(db_url=url, sections=ONE_SYMBOL)
    await tick(again.engine, signal.symbol, signal.targets[0].price * Decimal("1.001") if signal.side.sign > 0
               else signal.targets[0].price * Decimal("0.999"))
    await again.settle()
    tp1 = [m for m in again.session.of(SendMessage) if "TP1 hit" in m.text]
    assert {int(m.chat_id): m.reply_parameters.message_id for m in tp1} == ids
