"""Signals as text in Telegram: an admin's pasted or forwarded message becomes a card with buttons, a
message that names no stop gets a reply naming the missing field (nothing traded), a listed channel's
post raises a card to the usual chats, and readers' text is not read as a signal."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count

from aiogram.methods import SendMessage
from aiogram.types import Update

from engine.domain.models import SignalStatus
from tests.bot.conftest import ADMIN, ADMIN2, READER
from tests.bot.flows import button_data
from tests.bot.mocked import callback_update, message_update, user

CHANNEL = -1001234567890
_ids = count(900_000)


def forwarded(user_id: int, text: str) -> Update:
    message = {"message_id": next(_ids), "date": int(datetime.now(UTC).timestamp()),
               "chat": {"id": user_id, "type": "private"}, "from": user(user_id), "text": text,
               "forward_origin": {"type": "hidden_user", "date": 1, "sender_user_name": "Signals VIP"}}
    return Update.model_validate({"update_id": next(_ids), "message": message})


def channel_post(chat_id: int, text: str) -> Update:
    post = {"message_id": next(_ids), "date": int(datetime.now(UTC).timestamp()),
            "chat": {"id": chat_id, "type": "channel", "title": "calls"}, "text": text}
    return Update.model_validate({"update_id": next(_ids), "channel_post": post})


async def prices(h) -> tuple:  # type: ignore[no-untyped-def]
    await h.engine.step_market(1)
    price = await h.engine.market.price("ETH/BTC")
    return price, (price * 97 / 100).quantize(price), (price * 104 / 100).quantize(price)


async def test_pasted_signal_becomes_a_card_that_confirms(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    price, stop, tp = await prices(h)
    await h.feed(message_update(ADMIN, f"#ETH/BTC LONG 🟢\nEntry: {price}\nTP1: {tp}\nSL: {stop}\nLeverage: 2x"))
    card = h.session.of(SendMessage)[-1]
    assert "ETH/BTC" in card.text and "From: your message" in card.text and "Score:" not in card.text
    data = button_data(card, "Confirm")
    await h.feed(callback_update(ADMIN, data, message_id=1000))
    positions = await h.engine.positions()
    assert len(positions) == 1 and positions[0].position.leverage == 2
    assert positions[0].position.initial_stop == stop


async def test_forward_without_a_stop_gets_the_missing_field(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    await h.engine.step_market(1)
    await h.feed(forwarded(ADMIN, "ETH/BTC 做多 入场 0.09 止盈 0.1"))
    assert h.session.texts(ADMIN)[-1] == ("⚠️ I could not read a signal: the stop (SL, 止损) is missing. "
                                          "Nothing was traded.")
    await h.feed(forwarded(ADMIN, "Good morning, the market looks calm"))
    assert "the symbol (e.g. BTC/USDT) is missing" in h.session.texts(ADMIN)[-1]
    assert await h.engine.repository.signals_with_status(SignalStatus.RAISED) == []
    assert await h.engine.positions() == []


async def test_plain_chat_still_gets_the_usual_answer(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot()
    await h.feed(message_update(ADMIN, "hello there"))
    assert h.session.texts(ADMIN)[-1] == "I only understand commands. Send /help for the list."
    await h.feed(message_update(READER, "ETH/BTC long sl 0.01"))
    assert h.session.texts(READER)[-1] == "I only understand commands. Send /help for the list."


async def test_listed_channel_post_raises_a_card_once(unit_bot) -> None:  # type: ignore[no-untyped-def]
    h = await unit_bot(sections={"hooks": {"channels": [CHANNEL]}})
    price, stop, tp = await prices(h)
    post = channel_post(CHANNEL, f"ETHBTC long entry {price} sl {stop} tp {tp}")
    await h.feed(post)
    await h.feed(post)  # delivered twice: one signal
    await h.feed(channel_post(-100999, f"ETHBTC long entry {price} sl {stop} tp {tp}"))  # not listed
    raised = await h.engine.repository.signals_with_status(SignalStatus.RAISED)
    assert len(raised) == 1 and raised[0].source == "channel"
    cards = [m for m in h.session.of(SendMessage) if "From: channel post" in m.text]
    assert sorted(c.chat_id for c in cards) == sorted([ADMIN, ADMIN2])  # one card per admin chat
    assert button_data(cards[0], "Confirm")
