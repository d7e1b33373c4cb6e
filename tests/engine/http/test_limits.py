"""A request whose body never finishes arriving is answered 408 with a reason (SP_HTTP__TIMEOUT_S), and the
server keeps serving others."""

from __future__ import annotations

import asyncio
import json

import aiohttp

from tests.engine.http.test_tradingview import SECRET


async def test_a_body_that_never_arrives_gets_408(engine_factory) -> None:  # type: ignore[no-untyped-def]
    engine = await engine_factory(http={"enabled": True, "port": 0, "timeout_s": 0.5},
                                  hooks={"tradingview_secret": SECRET})
    port = engine.http.port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"POST /hook/tradingview/{SECRET} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 f"Content-Length: 100\r\n\r\n{{\"symbol\":".encode())  # 11 of the 100 bytes, then nothing
    await writer.drain()
    async with asyncio.timeout(30):
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
        body = await reader.readexactly(length)
    writer.close()
    assert head.startswith(b"HTTP/1.1 408")
    assert json.loads(body) == {"error": "the request took longer than 0.5 s"}
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/healthz") as resp:
        assert resp.status == 200
