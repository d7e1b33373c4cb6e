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
