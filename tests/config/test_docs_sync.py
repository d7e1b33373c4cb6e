"""The settings reference in docs/ is generated from the settings model and kept in sync with it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from config.docs import COMMAND, LANGS, path, render, rows
from config.docs_zh import TEXT_ZH
from config.settings import PACKAGE_DIR


@pytest.mark.parametrize("lang", LANGS)
def test_settings_reference_matches_the_model(lang: str) -> None:
    target = path(lang)
    assert target.is_file(), f"{target} is missing: run `{COMMAND}` (or `make docs`)"
    assert target.read_text(encoding="utf-8") == render(lang), (
        f"docs/{lang}/settings.md is out of date with config/settings.py: run `{COMMAND}` (or `make docs`)")


def test_every_setting_is_described_with_its_default() -> None:
    listed = rows()
    undescribed = [var for _, var, _, _, _, desc in listed if not desc.strip()]
    assert undescribed == [], f"add a Field(description=...) in config/settings.py for {undescribed}"
    reference = render("en")
    for _, var, *_ in listed:
        assert f"| `{var}` |" in reference
    assert "| `SP_SCAN__MIN_SCORE` | number | `75` | ≥ 0, ≤ 100 |" in reference
    assert "| `SP_MARKET__REPLAY_DIR` | path | `engine/market/sample` |" in reference  # no machine paths
    assert str(PACKAGE_DIR) not in reference


def test_chinese_reference_is_in_chinese() -> None:
    reference = render("zh")
    assert "## 风控与执行" in reference and "| `SP_SCAN__MIN_SCORE` | 数值 | `75` |" in reference
    assert "评分（0-100）达到此值才发出信号" in reference
    assert set(TEXT_ZH) <= {var for _, var, _, _, _, _ in rows()}, "config/docs_zh.py names an unknown setting"


def test_the_generator_command_runs_and_finds_the_files_current() -> None:
    """The command the failure messages name works from the repository root."""
    ok = subprocess.run([sys.executable, "-m", "config.docs", "--check"], cwd=PACKAGE_DIR, capture_output=True,
                        text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
