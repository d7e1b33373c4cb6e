"""``signalpilot check --online`` against the fake Binance and the fake Bot API on 127.0.0.1: one
✓/✗ line per check — database, exchange clock drift, markets, keys and balance, position mode,
key permissions, Telegram getMe — and each problem named."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from bot.checks import run_checks
from config.settings import Settings
from tests.fakes.binance import FakeBinance
from tests.fakes.telegram_api import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]


def _settings(fake: FakeBinance, tg: FakeTelegram, tmp_path: Path, **over: Any) -> Settings:
    base: dict[str, Any] = {
        "mode": "live", "market": {"source": "live"},
        "exchange": {"base_url": fake.http_base, "api_key": fake.api_key, "api_secret": fake.secret},
        "telegram": {"token": tg.token, "api_base": tg.base_url, "admins": [111]},
        "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"},
    }
    for key, value in over.items():
        base[key] = {**base.get(key, {}), **value}
    return Settings(_env_file=None, **base)  # type: ignore[arg-type]


async def _check(settings: Settings) -> tuple[int, dict[str, str]]:
    out = io.StringIO()
    code = await run_checks(settings, online=True, out=out)
    lines = {}
    for line in out.getvalue().splitlines()[:-1]:
        mark, rest = line.split(" ", 1)
        name, detail = rest.split(": ", 1)
        lines[name] = f"{mark} {detail}"
    return code, lines


async def test_everything_answers(tmp_path: Path) -> None:
    async with FakeBinance() as fake, FakeTelegram() as tg:
        code, lines = await _check(_settings(fake, tg, tmp_path))
        assert code == 0, lines
        assert lines["database connection"].startswith("✓")
        assert lines["exchange clock"].startswith("✓ binanceusdm answers; this machine's clock is off by")
        assert lines["exchange markets"] == "✓ 3 USDT perpetual markets"
        assert lines["exchange keys"].startswith("✓ accepted; balance 10000 USDT")
        assert lines["position mode"] == "✓ one-way"
        assert lines["key permissions"] == "✓ reading and futures trading"
        assert lines["telegram bot"] == "✓ @signalpilot_test_bot answers"
        assert [r for r in fake.requests if r.method != "GET"] == []  # read-only: nothing changed
        assert not (tmp_path / "live.db").exists()  # nor created


async def test_each_problem_gets_its_cross(tmp_path: Path) -> None:
    async with FakeBinance() as fake, FakeTelegram() as tg:
        fake.clock_offset_ms = 4000
        fake.exchange.set_dual(True)
        fake.key_permissions = {"enableReading": True, "enableFutures": False, "enableWithdrawals": True}
        code, lines = await _check(_settings(fake, tg, tmp_path, telegram={"token": "123456:WrongTokenForThisBot"}))
        assert code == 2
        assert lines["exchange clock"].startswith("✗") and "synchronise it (NTP)" in lines["exchange clock"]
        assert lines["position mode"].startswith("✗ hedge")
        assert lines["key permissions"].startswith("✗ this key may not trade futures")
        assert lines["telegram bot"].startswith("✗ Telegram refused SP_TELEGRAM__TOKEN")
        assert "WrongToken" not in "".join(lines.values())


async def test_refused_keys_and_unreachable_services(tmp_path: Path) -> None:
    async with FakeBinance() as fake, FakeTelegram() as tg:
        refused = _settings(fake, tg, tmp_path, exchange={"api_key": "refused-key-123"})
        code, lines = await _check(refused)
        assert code == 2 and lines["exchange keys"].startswith("✗ binanceusdm refused SP_EXCHANGE__API_KEY")
        assert "refused-key-123" not in "".join(lines.values())
        gone = _settings(fake, tg, tmp_path, exchange={"base_url": "http://127.0.0.1:9"},
                         telegram={"api_base": "http://127.0.0.1:9"},
                         database={"url": "postgresql+asyncpg://u:secretpw@127.0.0.1:9/x"})
        code, lines = await _check(gone)
        assert code == 2
        assert lines["exchange"].startswith("✗ binanceusdm cannot be reached")
        assert lines["database connection"].startswith("✗ SP_DATABASE__URL: the database server is not answering")
        assert lines["telegram bot"].startswith("✗ cannot reach the Bot API at SP_TELEGRAM__API_BASE")
        assert "secretpw" not in "".join(lines.values())


async def test_the_command_prints_one_line_per_check(tmp_path: Path) -> None:
    async with FakeBinance() as fake, FakeTelegram() as tg:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SP_")}
        env.update({"PYTHONPATH": str(ROOT), "SP_MODE": "live", "SP_EXCHANGE__BASE_URL": fake.http_base,
                    "SP_EXCHANGE__API_KEY": fake.api_key, "SP_EXCHANGE__API_SECRET": fake.secret,
                    "SP_TELEGRAM__TOKEN": tg.token, "SP_TELEGRAM__API_BASE": tg.base_url,
                    "SP_TELEGRAM__ADMINS": "111"})
        proc = await _run(["check", "--online"], tmp_path, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert all(line[:1] == "✓" for line in lines[:-1]) and len(lines) >= 10
    assert lines[-1] == f"{len(lines) - 1} passed, 0 failed"


async def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    import asyncio

    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", *args, cwd=cwd, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 180)
    return subprocess.CompletedProcess(args, proc.returncode or 0, out.decode(), err.decode())
