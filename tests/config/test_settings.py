"""Settings: env parsing, clear errors naming the variable, secrets never shown, example.env complete."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def _env_names(model: type, prefix: str = "SP_") -> list[str]:
    names = []
    for name, field in model.model_fields.items():
        ann = field.annotation
        if isinstance(ann, type) and hasattr(ann, "model_fields"):
            names += _env_names(ann, f"{prefix}{name.upper()}__")
        else:
            names.append(f"{prefix}{name.upper()}")
    return names


def test_example_env_lists_every_setting() -> None:
    text = (ROOT / "config" / "example.env").read_text()
    listed = {line.split("=", 1)[0] for line in text.splitlines() if line.startswith("SP_")}
    assert set(_env_names(Settings)) == listed


def test_lists_and_sections_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SP_SCAN__SYMBOLS", "ETH/BTC, LTC/BTC")
    monkeypatch.setenv("SP_TELEGRAM__ADMINS", "11,22")
    monkeypatch.setenv("SP_PLAN__TARGETS", "3:0.3,6:0.3,9:0.4")
    s = load_settings(_env_file=None)
    assert s.scan.symbols == ["ETH/BTC", "LTC/BTC"]
    assert s.telegram.admins == [11, 22]
    assert len(s.plan.target_pairs()) == 3
    assert s.database_url == "sqlite+aiosqlite:///data/paper.db"


def test_bad_values_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SP_RISK__MAX_POSITIONS", "lots")
    monkeypatch.setenv("SP_PLAN__TARGETS", "4:0.5,8:0.6")
    with pytest.raises(SettingsError) as err:
        load_settings(_env_file=None)
    text = str(err.value)
    assert "SP_RISK__MAX_POSITIONS" in text and "SP_PLAN__TARGETS" in text and "sum to 1" in text


def test_market_source_defaults_to_live_data_once_telegram_is_connected() -> None:
    assert load_settings(_env_file=None).market.source == "replay"
    token = {"token": "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789"}
    assert load_settings(_env_file=None, telegram=token).market.source == "live"
    assert load_settings(_env_file=None, telegram=token, market={"source": "replay"}).market.source == "replay"


def test_live_without_keys_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SP_MODE", "live")
    with pytest.raises(SettingsError, match="SP_EXCHANGE__API_KEY"):
        load_settings(_env_file=None)
    assert load_settings(_env_file=None, mode="paper").database_url.endswith("paper.db")


def test_bad_setting_exits_2_without_echoing_secrets(tmp_path: Path) -> None:
    token = "123456:SECRETtokenSECRETtokenSECRETtoken12"
    env = {**os.environ, "SP_RISK__MAX_LEVERAGE": "500", "SP_TELEGRAM__TOKEN": token,
           "SP_EXCHANGE__API_SECRET": "hunter2-very-secret"}
    proc = subprocess.run([sys.executable, "-m", "bot", "check"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 2
    assert "SP_RISK__MAX_LEVERAGE" in proc.stderr
    assert token not in proc.stderr + proc.stdout and "hunter2" not in proc.stderr + proc.stdout
    secret = load_settings(_env_file=None, telegram={"token": token})
    assert token not in repr(secret) and token not in str(secret.model_dump())


def test_unknown_variables_name_the_closest_setting(tmp_path: Path) -> None:
    from config.variables import setting_names, unknown_variable_lines, unknown_variables

    names = setting_names()
    assert {"SP_MODE", "SP_MARKET", "SP_MARKET__SOURCE", "SP_DATABASE__URL", "SP_TELEGRAM__TOKEN"} <= set(names)
    env_file = tmp_path / ".env"
    env_file.write_text("SP_EXCHANGE__APIKEY=abc\nOTHER=1\n")
    environ = {"SP_DATABASE_URL": "x", "SP_MODE": "paper", "sp_scan__top_n": "5", "SP_TEST_POSTGRES_URL": "x",
               "SP_WHATEVER": "1", "PATH": "/bin"}
    found = dict(unknown_variables(environ, env_file))
    assert found == {"SP_DATABASE_URL": "SP_DATABASE__URL", "SP_EXCHANGE__APIKEY": "SP_EXCHANGE__API_KEY",
                     "SP_WHATEVER": None}
    lines = unknown_variable_lines(list(found.items()))
    assert "SP_DATABASE_URL is not a SignalPilot setting and is ignored: did you mean SP_DATABASE__URL?" in lines
    assert "SP_WHATEVER is not a SignalPilot setting and is ignored (see config/example.env)" in lines


def test_malformed_json_section_and_timeframes_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SP_MARKET", "{bad")
    with pytest.raises(SettingsError, match=r"SP_MARKET: not valid JSON"):
        load_settings(_env_file=None)
    monkeypatch.delenv("SP_MARKET")
    monkeypatch.setenv("SP_SCAN__TIMEFRAMES", "15m,1hour")
    monkeypatch.setenv("SP_MARKET__BASE_TIMEFRAME", "0m")
    with pytest.raises(SettingsError) as err:
        load_settings(_env_file=None)
    assert "SP_SCAN__TIMEFRAMES: '1hour' is not a timeframe" in str(err.value)
    assert "SP_MARKET__BASE_TIMEFRAME: '0m' is not a timeframe" in str(err.value)
    monkeypatch.setenv("SP_SCAN__TIMEFRAMES", "5m,1h,1d,1w")
    monkeypatch.setenv("SP_MARKET__BASE_TIMEFRAME", "1m")
    assert load_settings(_env_file=None).scan.timeframes == ["5m", "1h", "1d", "1w"]


def test_a_typo_inside_a_section_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SP_RISK__MAX_POSITION", "3")
    with pytest.raises(SettingsError) as err:
        load_settings(_env_file=None)
    assert "SP_RISK__MAX_POSITION is not a SignalPilot setting: did you mean SP_RISK__MAX_POSITIONS?" in str(err.value)
