"""The console demo's defaults: applied only without a Telegram token on a paper replay, and only to what
the user did not set (explicit settings always win)."""

from __future__ import annotations

import pytest

from bot.demo import DEMO_REPLAY_SPEED, demo_settings
from config.settings import load_settings


@pytest.fixture(autouse=True)
def _no_sp_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("SP_"):
            monkeypatch.delenv(name)


def test_fresh_clone_gets_auto_mode_fast_replay_and_quiet_logs() -> None:
    s = demo_settings(load_settings(_env_file=None))
    assert (s.risk.execution_mode, s.market.replay_speed, s.log_level) == ("auto", DEMO_REPLAY_SPEED, "WARNING")


def test_each_explicit_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SP_RISK__EXECUTION_MODE", "confirm")
    monkeypatch.setenv("SP_MARKET__REPLAY_SPEED", "1")
    monkeypatch.setenv("SP_LOG_LEVEL", "INFO")
    s = demo_settings(load_settings(_env_file=None))
    assert (s.risk.execution_mode, s.market.replay_speed, s.log_level) == ("confirm", 1.0, "INFO")
    monkeypatch.delenv("SP_LOG_LEVEL")
    s = demo_settings(load_settings(_env_file=None))
    assert (s.risk.execution_mode, s.market.replay_speed, s.log_level) == ("confirm", 1.0, "WARNING")


def test_no_demo_with_telegram(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SP_TELEGRAM__TOKEN", "123456:ABC")
    monkeypatch.setenv("SP_MARKET__SOURCE", "replay")
    s = load_settings(_env_file=None)
    assert demo_settings(s) is s and s.risk.execution_mode == "confirm" and s.market.replay_speed == 1.0
