"""``signalpilot qmt-server --simulate`` as a user starts it: 127.0.0.1, a random token printed
once, the protocol answering over real HTTP, SIGTERM stopping it."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import aiohttp

from engine.qmt import protocol as p


async def test_the_simulated_server_prints_its_token_once_and_answers_with_it():
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "qmt-server", "--simulate", "--port", "0", "--cash", "20000",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        first = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
        second = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
        assert "simulated trader" in first and "http://127.0.0.1:" in first
        url = first.split("listening on ")[1].strip()
        token = second.removeprefix("token: ").strip()
        assert second.startswith("token: ") and len(token) >= 24
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{url}/api/query_stock_asset", json={}, headers={p.TOKEN_HEADER: token}) as r:
                assert r.status == 200 and (await r.json())["data"]["cash"] == 20000
            async with http.post(f"{url}/api/query_stock_asset", json={}, headers={p.TOKEN_HEADER: "x"}) as r:
                assert r.status == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert token.encode() not in out and token.encode() not in err  # printed once, never again


async def test_simulate_with_st_stocks_junks_an_order_outside_5_pct_and_refuses_a_bad_code():
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "qmt-server", "--simulate", "--port", "0", "--st", "600001.SH",
        "--token", "st-token-1", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        url = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode().split("listening on ")[1].strip()
        headers = {p.TOKEN_HEADER: "st-token-1"}
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{url}/sim/price", json={"stock_code": "600001.SH", "price": 10.0,
                                                           "last_close": 10.0}, headers=headers) as r:
                assert r.status == 200
            order = {"stock_code": "600001.SH", "order_type": p.STOCK_BUY, "order_volume": 100,
                     "price_type": p.FIX_PRICE, "strategy_name": "s"}
            for remark, price in (("inside", 10.5), ("outside", 10.6)):
                async with http.post(f"{url}/api/order_stock", json={**order, "price": price, "order_remark": remark},
                                     headers=headers) as r:
                    assert r.status == 200
            async with http.post(f"{url}/api/query_stock_orders", json={"cancelable_only": False},
                                 headers=headers) as r:
                orders = {o["order_remark"]: o for o in (await r.json())["data"]}
        assert orders["inside"]["order_status"] != p.ORDER_JUNK
        assert orders["outside"]["order_status"] == p.ORDER_JUNK
        assert "outside today's limits 9.50–10.50" in orders["outside"]["status_msg"]
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    bad = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "qmt-server", "--simulate", "--port", "0", "--st", "600001.SH,ST0004",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(bad.communicate(), 60)
    assert bad.returncode == 2 and "--st: ST0004: not an A-share code" in err.decode()
