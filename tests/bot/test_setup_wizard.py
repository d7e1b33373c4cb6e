"""``signalpilot init`` as a user runs it, against the fake Bot API (real aiogram Bot over HTTP) and the
fake Binance (real ccxt): the .env it writes, the /start discovery, refusals, and secrets kept quiet."""

from __future__ import annotations

import asyncio
import stat
import sys
from pathlib import Path

from config.settings import Settings
from tests.fakes.binance import FakeBinance
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram


async def _start_init(cwd: Path, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "init", *args, cwd=cwd, env={"PATH": "/usr/bin:/bin"},
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def _init(cwd: Path, *args: str, stdin: str = "") -> tuple[int, str, str]:
    proc = await _start_init(cwd, *args)
    out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), timeout=120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def _env(path: Path) -> dict[str, str]:
    lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


async def test_flags_only_writes_a_private_env_that_the_settings_accept(tmp_path: Path) -> None:
    async with FakeTelegram() as tg:
        code, out, err = await _init(tmp_path, "--token", DEFAULT_TOKEN, "--admin", "4242", "--yes",
                                     "--telegram-api", tg.base_url, "--risk-per-trade", "0.5")
    assert code == 0, err
    env_file = tmp_path / ".env"
    assert "the token works (bot @signalpilot_test_bot)" in out and "wrote .env" in out
    assert DEFAULT_TOKEN not in out + err and DEFAULT_TOKEN.split(":")[1] not in out + err
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    env = _env(env_file)
    assert env["SP_TELEGRAM__TOKEN"] == DEFAULT_TOKEN and env["SP_TELEGRAM__ADMINS"] == "4242"
    assert env["SP_MODE"] == "paper" and env["SP_RISK__RISK_PER_TRADE_PCT"] == "0.5"
    settings = Settings(_env_file=env_file)
    assert settings.telegram.admins == [4242] and settings.risk.max_positions == 5
    assert str(settings.risk.risk_per_trade_pct) == "0.5" and settings.risk.execution_mode == "confirm"


async def test_the_admin_id_comes_from_a_start_message(tmp_path: Path) -> None:
    async with FakeTelegram() as tg:
        proc = await _start_init(tmp_path, "--token", DEFAULT_TOKEN, "--yes", "--telegram-api", tg.base_url)
        await tg.wait_for("getMe", timeout=60)
        tg.user_message(777001, "hello")  # not /start: ignored
        tg.user_message(777002, "/start")
        out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
        assert proc.returncode == 0, err.decode()
        assert tg.pending_updates == [], "the /start is acknowledged: the bot will not answer it later"
    assert "send /start to @signalpilot_test_bot" in out.decode()
    assert "admin user id 777002" in out.decode()
    assert _env(tmp_path / ".env")["SP_TELEGRAM__ADMINS"] == "777002"


async def test_no_start_in_time_is_a_clear_error_and_nothing_is_written(tmp_path: Path) -> None:
    async with FakeTelegram() as tg:
        code, _, err = await _init(tmp_path, "--token", DEFAULT_TOKEN, "--yes", "--telegram-api", tg.base_url,
                                   "--wait", "1")
    assert code == 2 and "no /start arrived within 1 s" in err and "--admin" in err
    assert not (tmp_path / ".env").exists()


async def test_a_refused_token_and_an_existing_env_write_nothing(tmp_path: Path) -> None:
    wrong = DEFAULT_TOKEN.split(":")[0] + ":wrongwrongwrong"
    async with FakeTelegram() as tg:
        code, out, err = await _init(tmp_path, "--token", wrong, "--admin", "1", "--yes", "--telegram-api",
                                     tg.base_url)
        assert code == 2 and "Telegram refused the token" in err
        assert "wrongwrongwrong" not in out + err
        assert not (tmp_path / ".env").exists()

        (tmp_path / ".env").write_text("SP_MODE=paper\n")
        code, _, err = await _init(tmp_path, "--token", DEFAULT_TOKEN, "--admin", "1", "--yes",
                                   "--telegram-api", tg.base_url)
        assert code == 2 and ".env exists" in err and "--force" in err
        assert (tmp_path / ".env").read_text() == "SP_MODE=paper\n"

        code, _, err = await _init(tmp_path, "--token", DEFAULT_TOKEN, "--admin", "1", "--yes", "--force",
                                   "--telegram-api", tg.base_url)
        assert code == 0, err
        assert _env(tmp_path / ".env")["SP_TELEGRAM__ADMINS"] == "1"


async def test_interactive_answers_with_hidden_secrets(tmp_path: Path) -> None:
    async with FakeTelegram() as tg:
        # token, mode, execution mode, risk per trade, max positions, leverage (the admin comes by flag)
        answers = f"{DEFAULT_TOKEN}\n\nauto\n2\n3\n\n"
        code, out, err = await _init(tmp_path, "--admin", "99", "--telegram-api", tg.base_url, stdin=answers)
    assert code == 0, err
    assert DEFAULT_TOKEN not in out + err
    env = _env(tmp_path / ".env")
    assert env["SP_MODE"] == "paper" and env["SP_RISK__EXECUTION_MODE"] == "auto"
    assert env["SP_RISK__RISK_PER_TRADE_PCT"] == "2" and env["SP_RISK__MAX_POSITIONS"] == "3"
    assert env["SP_RISK__MAX_LEVERAGE"] == "10"


async def test_live_mode_checks_the_exchange_keys(tmp_path: Path) -> None:
    async with FakeTelegram() as tg, FakeBinance(api_key="live-key-123", secret="live-secret-456") as ex:
        common = ["--token", DEFAULT_TOKEN, "--admin", "5", "--yes", "--telegram-api", tg.base_url,
                  "--mode", "live", "--exchange", "binanceusdm", "--exchange-base-url", ex.http_base]
        code, out, err = await _init(tmp_path, *common, "--api-key", "live-key-123", "--api-secret", "bad-secret-789")
        assert code == 2 and "refused the API keys" in err
        assert "bad-secret-789" not in out + err and "live-key-123" not in out + err
        assert not (tmp_path / ".env").exists()

        code, out, err = await _init(tmp_path, *common, "--api-key", "live-key-123", "--api-secret", "live-secret-456")
        assert code == 0, err
        assert "Exchange binanceusdm: keys accepted (USDT balance 10000)" in out
        assert "live-secret-456" not in out + err and "live-key-123" not in out + err
    env = _env(tmp_path / ".env")
    assert env["SP_MODE"] == "live" and env["SP_EXCHANGE__API_SECRET"] == "live-secret-456"
    assert Settings(_env_file=tmp_path / ".env").mode == "live"


async def test_yes_without_a_token_says_which_flag_is_missing(tmp_path: Path) -> None:
    code, _, err = await _init(tmp_path, "--admin", "1", "--yes")
    assert code == 2 and "--token is needed with --yes" in err
    assert not (tmp_path / ".env").exists()
