"""The bridge serves https when given a certificate (a self-signed one made here with openssl)."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from pathlib import Path

import aiohttp
import pytest

from engine.qmt.server import serve, simulated_bridge, tls_context
from tests.engine.qmt.bridge import TOKEN


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out",
                    str(cert)], check=True, capture_output=True)
    return cert, key


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make a certificate")
async def test_the_bridge_speaks_https_with_a_certificate(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    bridge = simulated_bridge(TOKEN)
    stop = asyncio.Event()
    port: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve(bridge, "127.0.0.1", 0, stop, tls_context(cert, key), ready=port.set_result))
    await asyncio.wait({task, port}, return_when=asyncio.FIRST_COMPLETED)
    trust = ssl.create_default_context(cafile=str(cert))
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"https://127.0.0.1:{port.result()}/api/query_stock_asset", json={},
                                 headers={"X-Token": TOKEN}, ssl=trust) as resp:
                assert resp.status == 200 and (await resp.json())["success"] is True
            with pytest.raises(aiohttp.ClientError):  # plain http to a TLS port gets nowhere
                async with http.post(f"http://127.0.0.1:{port.result()}/api/query_stock_asset", json={},
                                     headers={"X-Token": TOKEN}) as resp:
                    await resp.read()
    finally:
        stop.set()
        await task
