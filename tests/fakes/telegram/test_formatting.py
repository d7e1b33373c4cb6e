"""Markup parsing of the fake Telegram server: the text and entities a user's client would show."""

from __future__ import annotations

import pytest

from tests.fakes.telegram.formatting import ParseError, command_entities, format_text


def spans(text: str, entities: list[dict]) -> list[tuple[str, str]]:
    """(type, covered text) pairs, decoding UTF-16 offsets the way clients do."""
    raw = text.encode("utf-16-le")
    return [(e["type"], raw[2 * e["offset"]: 2 * (e["offset"] + e["length"])].decode("utf-16-le"))
            for e in entities]


def test_html_gives_plain_text_and_utf16_entities() -> None:
    text, entities = format_text("🟢 <b>BTC <i>long</i></b> &lt;5x&gt; &amp; <a href='https://x.io'>chart</a>", "HTML")
    assert text == "🟢 BTC long <5x> & chart"
    assert spans(text, entities) == [("bold", "BTC long"), ("italic", "long"), ("text_link", "chart")]
    assert entities[0]["offset"] == 3  # the emoji counts two UTF-16 units
    assert entities[2]["url"] == "https://x.io"


def test_html_pre_with_language_and_spoiler() -> None:
    text, entities = format_text('<pre><code class="language-python">x = 1</code></pre><tg-spoiler>s</tg-spoiler>',
                                 "html")
    assert text == "x = 1s"
    assert entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"},
                        {"type": "spoiler", "offset": 5, "length": 1}]


@pytest.mark.parametrize(("markup", "error"), [
    ("a <x>b</x>", 'Unsupported start tag "x" at byte offset 2'),
    ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
    ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
    ("x</b>", "Unexpected end tag at byte offset 1"),
    ("price < 5", "Unexpected end of name token at byte offset 6"),
])
def test_html_errors_match_telegram(markup: str, error: str) -> None:
    with pytest.raises(ParseError) as caught:
        format_text(markup, "HTML")
    assert str(caught.value) == error


def test_markdown_v2_entities_and_escapes() -> None:
    text, entities = format_text(r"*Long* _BTC_ __u__ ~s~ ||p|| `1\.5` [chart](https://x.io/a\)b) 2\.5\%", "MarkdownV2")
    assert text == "Long BTC u s p 1.5 chart 2.5%"
    assert spans(text, entities) == [("bold", "Long"), ("italic", "BTC"), ("underline", "u"),
                                     ("strikethrough", "s"), ("spoiler", "p"), ("code", "1.5"),
                                     ("text_link", "chart")]
    assert entities[-1]["url"] == "https://x.io/a)b"


def test_markdown_v2_blockquote_and_pre() -> None:
    text, entities = format_text(">quoted line\n>second\nafter\n```py\nprint(1)\n```", "MarkdownV2")
    assert text == "quoted line\nsecond\nafter\nprint(1)"
    assert spans(text, entities) == [("blockquote", "quoted line\nsecond"), ("pre", "print(1)")]
    assert entities[1]["language"] == "py"


@pytest.mark.parametrize(("markup", "error"), [
    ("PnL +5.2%", "Character '+' is reserved"),
    ("*bold", "Can't find end of Bold entity at byte offset 0"),
    ("`code", "Can't find end of Code entity at byte offset 0"),
])
def test_markdown_v2_errors_match_telegram(markup: str, error: str) -> None:
    with pytest.raises(ParseError, match=error.replace("+", r"\+")):
        format_text(markup, "MarkdownV2")


def test_legacy_markdown() -> None:
    text, entities = format_text("*b* _i_ `c` [l](https://x.io) a\\_b", "Markdown")
    assert text == "b i c l a_b"
    assert [e["type"] for e in entities] == ["bold", "italic", "code", "text_link"]
    with pytest.raises(ParseError, match="Can't find end of the entity starting at byte offset 0"):
        format_text("*open", "Markdown")


def test_surrounding_whitespace_is_trimmed_and_entities_shift() -> None:
    text, entities = format_text("\n  <b>hi</b>  \n", "HTML")
    assert (text, entities) == ("hi", [{"type": "bold", "offset": 0, "length": 2}])
    assert format_text("plain", None, [{"type": "bold", "offset": 0, "length": 5}])[1][0]["length"] == 5
    with pytest.raises(ValueError, match="unsupported parse_mode"):
        format_text("x", "BBCode")


def test_command_entities_like_telegram() -> None:
    assert command_entities("/start ref_42") == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert command_entities("🟢 /pnl@signalpilot_test_bot") == [{"type": "bot_command", "offset": 3, "length": 25}]
    assert command_entities("a/b and http://x/y") == []
