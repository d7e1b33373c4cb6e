"""End to end over HTTP: /hedge start, the round's alerts, /hedge status, /hedge stop with its second tap,
/panic closing hedge legs, readers refused. Two paper venues replay their own candles on the engine's
clock; the test hands each replayed price to the engine as a venue stream would."""

from __future__ import annotations

from pathlib import Path

from engine.market.base import PriceTick
from engine.market.replay import ReplayMarketData
from engine.venues import VenueHandle, build_paper_venue
from tests.bot.conftest import ADMIN, READER
from tests.engine.hedge.data import flat, rising, write_venue


def hedge_venues(engine, tmp: Path, short: list[float], long: list[float]) -> dict[str, VenueHandle]:  # type: ignore[no-untyped-def]
    write_venue(tmp, "aster", short)
    write_venue(tmp, "backpack", long)
    out = {}
    for role, name in (("s", "aster"), ("l", "backpack")):
        market = ReplayMarketData(tmp / name, engine.clock, base_timeframe="1m", symbols=["SOL/USDT"], warmup=0,
                                  speed=0)
        out[role] = build_paper_venue(name, engine.settings, engine.clock, market)
    engine.hedge.venues = out
    engine.hedge.run_tasks = False
    return out


async def step(engine, venues: dict[str, VenueHandle], periods: int = 1) -> None:  # type: ignore[no-untyped-def]
    for _ in range(periods):
        for role, venue in venues.items():
            async def feed(tick: PriceTick, role: str = role) -> None:
                if engine.hedge.runner is None:
                    await engine.hedge.venues[role].broker.on_price(tick)
                else:
                    await engine.hedge.on_price(role, tick)
            await venue.market.step(feed)  # type: ignore[attr-defined]


async def test_a_round_from_telegram_with_its_alerts_and_status(live_bot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    live = await live_bot()
    tg, engine = live.tg, live.engine
    venues = hedge_venues(engine, tmp_path, rising(), [p + 0.05 for p in rising()])
    await step(engine, venues)
    tg.user_message(READER, "/hedge start SOL/USDT")
    await tg.wait_sent(READER, contains="admins")
    tg.user_message(ADMIN, "/hedge start sol/usdt 25")
    await tg.wait_sent(ADMIN, contains="started on SOL/USDT")
    opened = await tg.wait_sent(ADMIN, contains="Hedge opened")
    assert "aster" in (opened.text or "") and "backpack" in (opened.text or "")
    await step(engine, venues, 20)
    for text in ("Hedge leg stopped", "Hedge take-profit placed", "Hedge take-profit filled", "Hedge round ended"):
        await tg.wait_sent(ADMIN, contains=text)
    mark = tg.mark()
    tg.user_message(ADMIN, "/hedge status")
    status = await tg.wait_sent(ADMIN, contains="Hedge", since=mark)
    text = status.text or ""
    assert "SHORT" in text and "LONG" in text and "aster" in text and "backpack" in text and "Realized PnL" in text
    assert await venues["s"].broker.positions() == [] and await venues["l"].broker.positions() == []
    await live.stop()


async def test_hedge_stop_takes_a_second_tap_and_panic_closes_hedge_legs(live_bot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    live = await live_bot()
    tg, engine = live.tg, live.engine
    venues = hedge_venues(engine, tmp_path, flat(), flat())
    await step(engine, venues)
    tg.user_message(ADMIN, "/hedge start SOL/USDT")
    await tg.wait_sent(ADMIN, contains="Hedge opened")
    mark = tg.mark()
    tg.user_message(ADMIN, "/hedge stop")
    prompt = await tg.wait_sent(ADMIN, contains="Close both legs", since=mark)
    tg.press_button(ADMIN, prompt, "Keep")
    await tg.wait_for(lambda c: c.method == "editMessageText" and "stays open" in c.params["text"], since=mark)
    assert engine.hedge.runner.round.is_active
    mark = tg.mark()
    tg.user_message(ADMIN, "/hedge stop")
    prompt = await tg.wait_sent(ADMIN, contains="Close both legs", since=mark)
    tg.press_button(ADMIN, prompt, "close both legs")
    await tg.wait_sent(ADMIN, contains="Hedge round ended", since=mark)
    assert not engine.hedge.runner.round.is_active
    assert [leg.reason.value for leg in engine.hedge.runner.round.legs] == ["force", "force"]

    tg.user_message(ADMIN, "/hedge start SOL/USDT")
    await tg.wait_sent(ADMIN, contains="started on SOL/USDT", since=mark)
    await engine.panic("test")
    assert not engine.hedge.runner.round.is_active
    assert await venues["s"].broker.positions() == [] and await venues["l"].broker.positions() == []
    await live.stop()
