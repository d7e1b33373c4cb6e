"""``python -m bot run`` in live mode with keys the exchange refuses: exit code 2, a clear message,
no secret printed, nothing placed on the (fake) exchange."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from tests.fakes.binance import FakeBinance

ROOT = Path(__file__).resolve().parents[3]


async def _run_bot(env: dict[str, str], cwd: Path, timeout: float = 600.0) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    return proc.returncode or 0, out.decode()


def _live_env(fake: FakeBinance, tmp_path: Path, key: str, secret: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SP_")}
    env.update({
        "PYTHONPATH": str(ROOT),
        "SP_MODE": "live",
        "SP_MARKET__SOURCE": "live",
        "SP_EXCHANGE__BASE_URL": fake.http_base,
        "SP_EXCHANGE__API_KEY": key,
        "SP_EXCHANGE__API_SECRET": secret,
        "SP_DATABASE__URL": f"sqlite+aiosqlite:///{tmp_path / 'live.db'}",
    })
    return env


@pytest.mark.parametrize("key,secret", [("refused-key-7f3a9c", "fake-secret"),
                                        ("fake-api-key", "refused-secret-1b2c3d")])
async def test_live_run_with_refused_keys_exits_2_and_places_nothing(tmp_path: Path, key: str, secret: str) -> None:
    async with FakeBinance() as fake:
        code, output = await _run_bot(_live_env(fake, tmp_path, key, secret), tmp_path)
        assert code == 2, output
        assert "refused the API keys (SP_EXCHANGE__API_KEY / SP_EXCHANGE__API_SECRET)" in output
        assert key not in output and secret not in output
        assert "Traceback" not in output
        placed = [r for r in fake.requests if r.method in ("POST", "PUT", "DELETE")]
        assert placed == []  # no order, no leverage or margin change, no listen key
        assert fake.orders == {} and fake.algo_orders == {}
        assert any(r.path == "/fapi/v3/account" for r in fake.requests)  # it did ask, and was refused


async def test_live_run_without_keys_exits_2_before_any_request(tmp_path: Path) -> None:
    async with FakeBinance() as fake:
        env = _live_env(fake, tmp_path, "", "")
        del env["SP_EXCHANGE__API_KEY"], env["SP_EXCHANGE__API_SECRET"]
        code, output = await _run_bot(env, tmp_path)
        assert code == 2, output
        assert "SP_EXCHANGE__API_KEY" in output
        assert fake.requests == []
