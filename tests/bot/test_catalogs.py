"""Every user-facing string is in the template, translated into Chinese with the same
placeholders, and the compiled catalogues the bot loads match their sources."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, SUPPORTED, make_i18n

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "__": None, "lazy_gettext": None, "gettext": None}
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")


def source_ids() -> set[str]:
    found = extract_from_dir(str(ROOT / "bot"), method_map=[("**.py", "python")], keywords=KEYWORDS)
    return {message if isinstance(message, str) else message[0] for _, _, message, _, _ in found}


def catalogue(lang: str):  # type: ignore[no-untyped-def]
    with open(LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=lang)


def test_template_is_in_sync_with_the_code() -> None:
    with open(LOCALES_DIR / "messages.pot", "rb") as f:
        template = {m.id for m in read_po(f) if m.id}
    code = source_ids()
    assert code - template == set(), "run pybabel extract (see locales/README.md)"
    assert template - code == set(), "stale entries in messages.pot"


@pytest.mark.parametrize("lang", SUPPORTED)
def test_every_message_is_translated_with_its_placeholders(lang: str) -> None:
    code = source_ids()
    cat = catalogue(lang)
    ids = {m.id for m in cat if m.id}
    assert code <= ids, f"missing in {lang}: {sorted(code - ids)[:5]}"
    for m in cat:
        if not m.id:
            continue
        assert m.string, f"untranslated in {lang}: {m.id!r}"
        assert sorted(PLACEHOLDER.findall(m.string)) == sorted(PLACEHOLDER.findall(m.id)), m.id
        assert m.string.count("<b>") == m.id.count("<b>"), m.id
        assert not m.fuzzy, m.id


@pytest.mark.parametrize("lang", SUPPORTED)
def test_compiled_catalogue_matches_its_source(lang: str) -> None:
    po = {m.id: m.string for m in catalogue(lang) if m.id}
    with open(LOCALES_DIR / lang / "LC_MESSAGES" / "messages.mo", "rb") as f:
        mo = {m.id: m.string for m in read_mo(io.BytesIO(f.read())) if m.id}
    assert mo == po, "run pybabel compile -d locales -D messages"


def test_the_bot_loads_both_languages() -> None:
    i18n = make_i18n()
    assert set(i18n.available_locales) == set(SUPPORTED)
    assert i18n.gettext("Stop hit", locale="zh") == "止损触发"
    assert i18n.gettext("Stop hit", locale="en") == "Stop hit"
