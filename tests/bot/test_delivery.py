"""The outgoing queue against the fake Bot API over HTTP: Telegram's rate limits, 429 retry_after,
retries with backoff, nothing lost, order kept per chat, long messages split at line breaks.
Pacing runs on an injected clock that the test moves (the fake records the same clock)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.delivery import Delivery, Limits
from tests.bot.outage import Outage
from tests.bot.stepclock import StepClock
from tests.fakes.telegram_api import FakeTelegram

NO_LIMITS = Limits(per_chat_interval=0, group_per_minute=10_000, global_per_second=10_000,
                   backoff_base=0.05, backoff_max=0.2)


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    bot = tg.make_bot()
    yield bot
    await bot.session.close()


def send_times(tg: FakeTelegram, chat_id: int) -> list[float]:
    return [c.at for c in tg.calls_to("sendMessage") if c.ok and c.params["chat_id"] == chat_id]


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture
async def clocked_bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    bot = tg.make_bot()
    yield bot
    await bot.session.close()


def stamp_sends(bot: Bot, clock: StepClock) -> dict[int, list[float]]:
    """chat → the clock's time of each sendMessage request as the bot makes it (a session middleware)."""
    times: dict[int, list[float]] = {}

    async def record(make_request, bot, method):  # type: ignore[no-untyped-def]
        if isinstance(method, SendMessage):
            times.setdefault(int(method.chat_id), []).append(clock.timestamp())
        return await make_request(bot, method)

    bot.session.middleware(record)
    return times


async def test_one_message_per_interval_per_chat_in_order_other_chats_not_held_up(tg: FakeTelegram, clocked_bot: Bot,
                                                                                  clock: StepClock) -> None:
    delivery = Delivery(clocked_bot, Limits(per_chat_interval=0.2), clock)
    sends = stamp_sends(clocked_bot, clock)
    for n in range(4):
        delivery.send_text(1, f"a{n}")
    delivery.send_text(2, "b0")
    await clock.run_until(lambda: len(tg.sent(1)) == 4 and len(tg.sent(2)) == 1)
    assert [m.text for m in tg.sent(1)] == ["a0", "a1", "a2", "a3"]
    times = sends[1]
    assert [round(b - a, 3) for a, b in zip(times, times[1:], strict=False)] == [0.2, 0.2, 0.2]
    assert sends[2] == [times[0]]  # chat 2 did not wait behind chat 1


async def test_429_is_waited_out_and_the_message_is_resent_in_order(tg: FakeTelegram, bot: Bot,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    delivery = Delivery(bot, NO_LIMITS)
    tg.flood("sendMessage", count=1, retry_after=1)
    first = delivery.send_text(7, "first")[0]
    delivery.send_text(7, "second")
    with caplog.at_level(logging.WARNING, logger="bot.delivery"):
        assert await delivery.drain(5)
    calls = [c for c in tg.calls_to("sendMessage")]
    assert [c.status for c in calls] == [429, 200, 200]
    assert calls[1].at - calls[0].at >= 0.95  # retry_after honoured
    assert [m.text for m in tg.sent(7)] == ["first", "second"]
    assert (await first).text == "first"
    assert "429" in caplog.text


async def test_server_errors_are_retried_with_backoff(tg: FakeTelegram, bot: Bot,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    delivery = Delivery(bot, NO_LIMITS)
    tg.fail("sendMessage", 2, status=502)
    with caplog.at_level(logging.WARNING, logger="bot.delivery"):
        message = await delivery.text(5, "eventually")
    assert message is not None and message.text == "eventually"
    statuses = [c.status for c in tg.calls_to("sendMessage")]
    assert statuses == [502, 502, 200]
    ats = [c.at for c in tg.calls_to("sendMessage")]
    assert ats[1] - ats[0] >= 0.045 and ats[2] - ats[1] >= 0.09  # 0.05 s, then 0.1 s: the backoff grows
    assert caplog.text.count("retry") == 2


async def test_a_permanent_failure_is_logged_and_does_not_block_the_chat(tg: FakeTelegram, bot: Bot,
                                                                         caplog: pytest.LogCaptureFixture) -> None:
    delivery = Delivery(bot, NO_LIMITS)
    tg.fail("sendMessage", 1, status=400, description="Bad Request: chat not found")
    with caplog.at_level(logging.ERROR, logger="bot.delivery"):
        lost = delivery.send_text(9, "lost")[0]
        kept = delivery.send_text(9, "kept")[0]
        assert await delivery.drain(5)
    with pytest.raises(Exception, match="chat not found"):
        await lost
    assert (await kept).text == "kept"
    assert "dropped SendMessage" in caplog.text and delivery.failed == 1


async def test_giving_up_after_max_attempts_never_raises_into_the_caller(tg: FakeTelegram, bot: Bot) -> None:
    delivery = Delivery(bot, Limits(per_chat_interval=0, max_attempts=3, backoff_base=0.01, backoff_max=0.01))
    tg.fail("sendMessage", 10, status=500)
    delivery.send_text(3, "doomed")  # fire and forget: no exception reaches here
    assert await delivery.drain(5)
    assert len(tg.calls_to("sendMessage")) == 3 and delivery.failed == 1


async def test_bad_markup_is_resent_as_plain_text(tg: FakeTelegram, bot: Bot) -> None:
    delivery = Delivery(bot, NO_LIMITS)
    message = await delivery.text(4, "<b>unclosed & raw")
    assert message is not None
    assert tg.sent(4)[0].text == "unclosed & raw"


async def test_long_messages_are_split_at_line_breaks_keyboard_last_reply_first(tg: FakeTelegram, bot: Bot) -> None:
    delivery = Delivery(bot, NO_LIMITS)
    card = await delivery.text(6, "card")
    assert card is not None
    lines = [f"{i:05d} " + "y" * 60 for i in range(150)]  # ~10,000 characters
    keyboard = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="OK", callback_data="x")]])
    futures = delivery.send_text(6, "\n".join(lines), keyboard, reply_to=card.message_id)
    await asyncio.gather(*futures)
    parts = tg.sent(6)[1:]
    assert len(parts) == 3 and all(len(p.text or "") <= 4096 for p in parts)
    assert "\n".join(p.text or "" for p in parts) == "\n".join(lines)
    assert parts[0].reply_to_message_id == card.message_id
    assert parts[-1].buttons and not parts[0].buttons


async def test_group_chats_get_at_most_the_group_rate(tg: FakeTelegram, clocked_bot: Bot, clock: StepClock) -> None:
    delivery = Delivery(clocked_bot, Limits(per_chat_interval=0, group_per_minute=3, group_period=0.5), clock)
    sends = stamp_sends(clocked_bot, clock)
    for n in range(5):
        delivery.send_text(-100, f"g{n}")
    await clock.run_until(lambda: len(tg.sent(-100)) == 5)
    times = sends[-100]
    assert [round(t - times[0], 3) for t in times] == [0, 0, 0, 0.5, 0.5]  # three at once, then the window
    assert [m.text for m in tg.sent(-100)] == [f"g{n}" for n in range(5)]


async def test_an_outbox_item_outlives_an_outage_of_any_length_others_give_up(tg: FakeTelegram,
                                                                               clock: StepClock) -> None:
    outage = await Outage(tg.port).start()
    bot = Bot(tg.token, session=_session(outage.base_url))
    delivery = Delivery(bot, Limits(per_chat_interval=0, max_attempts=8, backoff_base=1, backoff_max=30), clock)
    try:
        await outage.down()
        kept = delivery.send_text(4, "the stop order could not be placed", persistent=True)[0]
        lost = delivery.send_text(5, "a card")[0]
        await clock.run_until(lost.done)
        with pytest.raises(Exception, match="(?i)connect"):
            await lost  # an ordinary item gives up after max_attempts (1+2+4+…+30 s on the clock)
        start = clock.now()
        await clock.run_until(lambda: (clock.now() - start).total_seconds() > 3600, limit=7200)
        assert not kept.done() and delivery.pending == 1  # an hour later the outbox item still waits
        await outage.up()
        await clock.run_until(kept.done)
        assert (await kept).text == "the stop order could not be placed"
        assert [m.text for m in tg.sent(4)] == ["the stop order could not be placed"] and not tg.sent(5)
    finally:
        await delivery.stop(1)
        await bot.session.close()
        await outage.close()


async def test_overall_rate_is_capped_across_chats(tg: FakeTelegram, clocked_bot: Bot, clock: StepClock) -> None:
    delivery = Delivery(clocked_bot, Limits(per_chat_interval=0, global_per_second=4, global_period=0.5), clock)
    sends = stamp_sends(clocked_bot, clock)
    for chat in range(1, 9):
        delivery.send_text(chat, "hi")
    await clock.run_until(lambda: sum(len(tg.sent(chat)) for chat in range(1, 9)) == 8)
    times = sorted(t for chat_times in sends.values() for t in chat_times)
    assert len(times) == 8
    assert all(later - earlier >= 0.5 for earlier, later in zip(times, times[4:], strict=False))  # at most 4 in 0.5 s


async def test_editing_to_the_same_text_is_not_an_error(tg: FakeTelegram, bot: Bot) -> None:
    delivery = Delivery(bot, NO_LIMITS)
    message = await delivery.text(8, "same")
    assert message is not None
    result = await delivery.edit_text(8, message.message_id, "same")
    assert result is None and delivery.failed == 0


async def test_stop_sends_what_is_queued_then_refuses_new_items(tg: FakeTelegram, bot: Bot) -> None:
    delivery = Delivery(bot, Limits(per_chat_interval=0.05))
    for n in range(3):
        delivery.send_text(1, f"m{n}")
    await delivery.stop(timeout=5)
    assert [m.text for m in tg.sent(1)] == ["m0", "m1", "m2"]
    late = delivery.send_text(1, "late")[0]
    with pytest.raises(RuntimeError):
        await late



def _session(base: str):  # type: ignore[no-untyped-def]
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    return AiohttpSession(api=TelegramAPIServer.from_base(base))
