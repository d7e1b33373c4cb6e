"""docs/ in English and Chinese: the same pages in both, every relative link resolves, and the pages a new
user needs say what the product does (user id, demo, compose)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = ("quick-start.md", "telegram-commands.md", "settings.md", "live-trading-checklist.md", "troubleshooting.md",
         "outside.md", "a-shares-qmt.md")
LINK = re.compile(r"\]\(([^)#]+)(?:#[^)]*)?\)")


def test_both_languages_have_every_page() -> None:
    for lang in ("en", "zh"):
        assert sorted(p.name for p in (DOCS / lang).glob("*.md")) == sorted(PAGES), lang


@pytest.mark.parametrize("page", [ROOT / "README.md", DOCS / "README.md",
                                  *[DOCS / lang / p for lang in ("en", "zh") for p in PAGES]],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page: Path) -> None:
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if "://" in target:
            continue
        assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links to missing {target}"


def test_every_telegram_command_is_documented() -> None:
    from bot.commands import COMMANDS

    for lang in ("en", "zh"):
        text = (DOCS / lang / "telegram-commands.md").read_text(encoding="utf-8")
        for name, _ in COMMANDS:
            assert f"`/{name}" in text, f"/{name} missing in docs/{lang}/telegram-commands.md"


def test_a_new_user_finds_their_telegram_id() -> None:
    assert "Your Telegram user id" in (ROOT / "README.md").read_text()
    assert "/start" in (DOCS / "en" / "quick-start.md").read_text()
    assert "你的 Telegram 用户 ID" in (DOCS / "zh" / "quick-start.md").read_text(encoding="utf-8")
