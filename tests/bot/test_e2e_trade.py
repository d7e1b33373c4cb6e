"""End to end over HTTP: the real aiogram Bot (run_bot, long polling) against the fake Bot API
server, with the paper engine on replayed candles. A trade reads as one thread under its card."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from tests.bot.conftest import ADMIN, ADMIN2, READER, STRANGER
from tests.bot.flows import tick
from tests.fakes.telegram_api import FakeTelegram, SentMessage

ONE_SYMBOL = {"scan": {"min_score": 0, "symbols": ["ETH/BTC"]}}


async def first_card(live, chat: int = ADMIN) -> SentMessage:  # type: ignore[no-untyped-def]
    mark = live.tg.mark()
    await live.engine.step_market(1)  # the scheduled scan runs at the first replayed bar
    return await live.tg.wait_sent(chat, contains="Score:", since=mark)


async def edited(tg: FakeTelegram, chat: int, message_id: int, contains: str) -> dict:
    """The message after an edit that put ``contains`` in it."""
    await tg.wait_for(lambda c: c.ok and c.method == "editMessageText" and c.params["chat_id"] == chat
                      and c.params["message_id"] == message_id and contains in c.params["text"])
    return tg.messages[(chat, message_id)]


def signal_id(card: SentMessage) -> str:
    return card.button("Confirm")["callback_data"].split(":")[-1]


async def answer(tg: FakeTelegram, query_id: str) -> dict:
    await tg.wait_for(lambda c: c.method == "answerCallbackQuery" and c.params.get("callback_query_id") == query_id)
    return tg.callback_answers[query_id]


async def test_start_drops_old_updates_and_sets_menus_per_language(live_bot, fake_telegram) -> None:  # type: ignore[no-untyped-def]
    tg = fake_telegram
    tg.user_message(ADMIN, "/status")  # sent while the bot was offline
    live = await live_bot()
    assert tg.calls_to("deleteWebhook")[0].params.get("drop_pending_updates") is True
    assert tg.pending_updates == []
    english = [c["command"] for c in tg.commands[("default", "")]]
    assert "panic" in english and "settings" in english
    assert tg.commands[("default", "zh")][0]["description"] == "模式、权益、持仓、今日盈亏"
    assert tg.commands[("default", "en")][0]["description"] == "Mode, equity, positions, today's PnL"
    await asyncio.sleep(0.2)
    assert tg.sent(ADMIN) == []  # the offline /status was never answered
    tg.user_message(ADMIN, "/status")
    status = await tg.wait_sent(ADMIN, contains="Status")
    assert "Equity: 1.00 BTC" in status.text
    await live.stop()


async def test_card_confirm_entry_tp1_breakeven_tp2_as_one_thread(live_bot) -> None:  # type: ignore[no-untyped-def]
    live = await live_bot(sections=ONE_SYMBOL)
    tg, engine = live.tg, live.engine
    card = await first_card(live)
    assert card.text and "ETH/BTC" in card.text and "(paper)" in card.text and "TP1:" in card.text
    other = await tg.wait_sent(ADMIN2, contains="Score:")
    query = tg.press_button(ADMIN, card, "Confirm")
    assert (await answer(tg, query))["text"] == "Position opened."
    entry = await tg.wait_sent(ADMIN, contains="Entry filled")
    assert entry.reply_to_message_id == card.message_id and "(paper)" in (entry.text or "")
    for chat, message in ((ADMIN, card), (ADMIN2, other)):  # both cards: outcome shown, buttons gone
        current = await edited(tg, chat, message.message_id, "Confirmed by")
        assert "reply_markup" not in current

    signal = await engine.get_signal(signal_id(card))
    assert signal is not None
    await tick(engine, signal.symbol, signal.targets[0].price)
    tp1 = await tg.wait_sent(ADMIN, contains="TP1 hit")
    assert "Stop moved to breakeven" in (tp1.text or "") and tp1.reply_to_message_id == card.message_id
    await tick(engine, signal.symbol, signal.targets[1].price)
    tp2 = await tg.wait_sent(ADMIN, contains="TP2 hit")
    assert "Total PnL +" in (tp2.text or "") and tp2.reply_to_message_id == card.message_id
    await asyncio.sleep(0.4)  # nothing else trails behind
    thread = [m for m in tg.sent(ADMIN) if m.reply_to_message_id == card.message_id]
    assert [m.message_id for m in thread] == [entry.message_id, tp1.message_id, tp2.message_id]
    assert len(tg.sent(ADMIN)) == 4  # the card and its three alerts
    mirror = [m for m in tg.sent(ADMIN2) if m.reply_to_message_id == other.message_id]
    assert len(mirror) == 3
    await live.stop()


async def test_cancel_and_expiry_edit_the_card(live_bot) -> None:  # type: ignore[no-untyped-def]
    live = await live_bot(sections={"scan": {"min_score": 0, "symbols": ["ETH/BTC", "LTC/BTC"]}})
    tg = live.tg
    await first_card(live)
    await tg.wait_for(lambda c: len([m for m in tg.sent(ADMIN) if "Score:" in (m.text or "")]) == 2)
    cards = [m for m in tg.sent(ADMIN) if "Score:" in (m.text or "")]
    cancelled, left = cards
    query = tg.press_button(ADMIN, cancelled, "Cancel")
    assert (await answer(tg, query))["text"] == "Cancelled."
    assert "reply_markup" not in await edited(tg, ADMIN, cancelled.message_id, "Cancelled by")

    mark = tg.mark()
    await live.engine.step_market(4)  # 20 minutes later the other signal has expired
    await tg.wait_for(lambda c: c.method == "editMessageText" and c.params["message_id"] == left.message_id
                      and c.params["chat_id"] == ADMIN and "Expired" in c.params["text"], since=mark)
    assert "reply_markup" not in tg.messages[(ADMIN, left.message_id)]
    query = tg.press(ADMIN, left.message_id, ADMIN, left.button("Confirm")["callback_data"])  # a stale client
    assert (await answer(tg, query))["text"] == "This signal has expired."
    assert await live.engine.positions() == []
    await live.stop()


async def test_double_confirm_by_two_admins_opens_one_position(live_bot) -> None:  # type: ignore[no-untyped-def]
    live = await live_bot(sections=ONE_SYMBOL)
    tg = live.tg
    card = await first_card(live)
    other = await tg.wait_sent(ADMIN2, contains="Score:")
    first = tg.press_button(ADMIN, card, "Confirm")
    second = tg.press_button(ADMIN2, other, "Confirm")
    third = tg.press_button(ADMIN, card, "Confirm")
    texts = sorted([(await answer(tg, q))["text"] for q in (first, second, third)])
    assert texts == ["Already confirmed: nothing new was done."] * 2 + ["Position opened."]
    assert len(await live.engine.positions()) == 1
    await tg.wait_sent(ADMIN, contains="Entry filled")
    await asyncio.sleep(0.3)
    assert len([m for m in tg.sent(ADMIN) if "Entry filled" in (m.text or "")]) == 1
    await live.stop()


async def test_drift_asks_again_with_the_new_price(live_bot) -> None:  # type: ignore[no-untyped-def]
    live = await live_bot(sections=ONE_SYMBOL)
    tg, engine = live.tg, live.engine
    card = await first_card(live)
    signal = await engine.get_signal(signal_id(card))
    assert signal is not None
    await tick(engine, signal.symbol, (signal.entry * Decimal("0.99")).quantize(Decimal("0.0000001")))
    query = tg.press_button(ADMIN, card, "Confirm")
    assert (await answer(tg, query))["text"] == "The price moved: check the new plan."
    current = await edited(tg, ADMIN, card.message_id, "The price moved from")
    assert "-1.00%" in current["text"] and "reply_markup" in current
    assert await engine.positions() == []
    query = tg.press_button(ADMIN, card, "Confirm")  # the re-planned card still has its buttons
    assert (await answer(tg, query))["text"] == "Position opened."
    assert len(await engine.positions()) == 1
    await live.stop()


async def test_non_admins_are_refused(live_bot) -> None:  # type: ignore[no-untyped-def]
    live = await live_bot(sections=ONE_SYMBOL)
    tg = live.tg
    card = await first_card(live)
    data = card.button("Confirm")["callback_data"]
    reader = tg.press(READER, card.message_id, ADMIN, data)
    stranger = tg.press(STRANGER, card.message_id, ADMIN, data)
    assert (await answer(tg, reader))["text"] == "⛔ Only admins can do that."
    assert (await answer(tg, stranger))["text"] == "⛔ Sorry, this bot is private."
    tg.user_message(STRANGER, "/panic")
    tg.user_message(READER, "/panic")
    assert (await tg.wait_sent(STRANGER)).text == f"⛔ Sorry, this bot is private.\nYour Telegram user id is {STRANGER}."
    assert (await tg.wait_sent(READER)).text == "⛔ Only admins can do that."
    await asyncio.sleep(0.2)
    assert await live.engine.positions() == []
    assert len(tg.sent(STRANGER)) == 1 and (await live.engine.status()).trading_state == "active"
    assert "reply_markup" in tg.messages[(ADMIN, card.message_id)]  # the card is untouched
    await live.stop()


async def test_429_on_an_alert_is_waited_out(live_bot) -> None:  # type: ignore[no-untyped-def]
    live = await live_bot(sections=ONE_SYMBOL)
    tg = live.tg
    card = await first_card(live)
    tg.flood("sendMessage", count=1, retry_after=1)
    query = tg.press_button(ADMIN, card, "Confirm")
    await answer(tg, query)
    entry = await tg.wait_sent(ADMIN, contains="Entry filled", timeout=30)
    flooded = [c for c in tg.calls_to("sendMessage") if c.status == 429]
    assert len(flooded) == 1 and entry.at - flooded[0].at >= 0.95
    await live.stop()
