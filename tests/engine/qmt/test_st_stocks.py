"""ST stocks (``SP_QMT__ST_SYMBOLS``, ``qmt-server --simulate --st``) trade within ±5 % of the last
close: the engine builds one set of A-share rules from the setting and every part uses it; orders are
priced inside the ST limits in paper and through the bridge, and the simulated trader junks an
order outside them."""

from __future__ import annotations

from decimal import Decimal

import aiohttp
import pytest
from pydantic import ValidationError

from config.settings import Settings
from engine.clock import ManualClock
from engine.domain.models import OrderRequest, OrderType
from engine.domain.values import OrderAction
from engine.market.base import PriceTick
from engine.market.replay import ReplayMarketData
from engine.market_rules.ashare import AShareRules
from engine.qmt import protocol as p
from engine.wiring import build
from tests.engine.qmt.bridge import TOKEN, running_bridge, shanghai
from tests.engine.qmt.engine_rig import ashare_settings

D = Decimal
ST, MAIN = "600001.SH", "600000.SH"
IN_SESSION = shanghai("2026-12-02", "10:00")


def _buy(cid: str, symbol: str, price: str | None = None) -> OrderRequest:
    return OrderRequest(cid, symbol, OrderAction.BUY, OrderType.LIMIT if price else OrderType.MARKET, D(100),
                        price=D(price) if price else None)


async def _components(settings: Settings, db_url: str, clock: ManualClock, persist_venue: bool = True):
    m = settings.market
    replay = ReplayMarketData(m.replay_dir, clock, base_timeframe=m.base_timeframe, symbols=["600000.SH"],
                              warmup=m.replay_warmup, speed=0)
    return await build(settings, clock=clock, market=replay, database_url=db_url, persist_venue=persist_venue)


def test_the_setting_takes_comma_separated_codes_and_refuses_others():
    s = Settings(_env_file=None, qmt={"st_symbols": "600001.sh, 000004.SZ"})  # type: ignore[call-arg]
    assert s.qmt.st_symbols == ["600001.SH", "000004.SZ"]
    with pytest.raises(ValidationError, match="ST600001: not an A-share code"):
        Settings(_env_file=None, qmt={"st_symbols": "ST600001"})  # type: ignore[call-arg]


async def test_through_the_bridge_an_st_buy_is_priced_within_5_pct_and_an_order_outside_is_junk(tmp_path):
    async with running_bridge(st_symbols=frozenset({ST})) as srv:
        srv.sim.set_price(ST, 10.0, last_close=10.0)
        srv.sim.set_price(MAIN, 10.0, last_close=10.0)
        clock = ManualClock(IN_SESSION)
        settings = ashare_settings(srv.url, "", qmt={"st_symbols": ST})
        c = await _components(settings, f"sqlite+aiosqlite:///{tmp_path / 'live.db'}", clock)
        try:
            assert c.broker.rules is c.rules  # type: ignore[attr-defined]  # the one set wiring built
            assert isinstance(c.rules, AShareRules) and c.rules.st_symbols == {ST}
            st = await c.broker.place_order(_buy("sp-st-en-1", ST, "10.80"))
            assert st.price == D("10.50")  # a limit above the ST limit-up is priced at it (+5 %)
            main = await c.broker.place_order(_buy("sp-mb-en-1", MAIN, "10.80"))
            assert main.price == D("10.80")  # inside the main board's ±10 %
            prices = {o.order_remark: o.price for o in srv.sim.orders.values()}
            assert prices == {"sp-st-en-1": 10.5, "sp-mb-en-1": 10.8}
            body = {"stock_code": ST, "order_type": p.STOCK_BUY, "order_volume": 100, "price_type": p.FIX_PRICE,
                    "price": 10.6, "strategy_name": "s", "order_remark": "outside"}
            async with aiohttp.ClientSession() as http, http.post(f"{srv.url}/api/order_stock", json=body,
                                                                   headers={p.TOKEN_HEADER: TOKEN}) as r:
                order_id = (await r.json())["data"]
            junk = srv.sim.orders[order_id]
            assert junk.order_status == p.ORDER_JUNK and "outside today's limits 9.50–10.50" in junk.status_msg
        finally:
            await c.broker.close()  # type: ignore[attr-defined]
            await c.db.close()


@pytest.mark.parametrize(("st_symbols", "priced", "band"), [
    ("600000.SH", "10.50", ("9.50", "10.50")),  # ST: ±5 % from yesterday's close 10.00
    ("", "10.80", ("9.00", "11.00")),  # main board: ±10 %
])
async def test_in_paper_an_st_buy_is_priced_within_5_pct(tmp_path, st_symbols, priced, band):
    clock = ManualClock(shanghai("2026-12-01", "14:55"))
    settings = ashare_settings("http://127.0.0.1:9", "", qmt={"st_symbols": st_symbols})
    c = await _components(settings.model_copy(update={"mode": "paper"}),
                          f"sqlite+aiosqlite:///{tmp_path / 'paper.db'}", clock, persist_venue=False)
    try:
        venue = c.broker
        assert venue.rules is c.rules  # type: ignore[attr-defined]  # the one set wiring built
        await venue.start()  # type: ignore[attr-defined]
        await venue.on_price(PriceTick(MAIN, D("10.00"), clock.now()))  # the day's close
        clock.set(IN_SESSION)
        await venue.on_price(PriceTick(MAIN, D("10.40"), clock.now()))
        assert venue.band(MAIN) == (D(band[0]), D(band[1]))  # type: ignore[attr-defined]
        order = await venue.place_order(_buy("sp-pst-en-1", MAIN, "10.80"))
        assert order.price == D(priced)
    finally:
        await c.broker.close()  # type: ignore[attr-defined]
        await c.db.close()
