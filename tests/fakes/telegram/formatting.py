"""Telegram text formatting for the fake server: parse_mode → (plain text, entities), like the real API.

Telegram answers a formatted message with the text the user sees plus `entities` whose offsets
and lengths count UTF-16 code units. It rejects malformed markup with
"Bad Request: can't parse entities: …"; this module reproduces that so a bot that forgets to
escape "<" or "." fails here as it would in production.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field


class ParseError(ValueError):
    """Markup Telegram would refuse; the message is the part after "can't parse entities: "."""


def u16(text: str) -> int:
    """Length of `text` in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Builder:
    """Accumulates plain text and entities while a parser walks the markup."""

    parts: list[str] = field(default_factory=list)
    length: int = 0
    entities: list[dict] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.length += u16(text)

    def entity(self, kind: str, start: int, **extra: object) -> None:
        if self.length > start:
            self.entities.append({"type": kind, "offset": start, "length": self.length - start, **extra})

    def result(self) -> tuple[str, list[dict]]:
        return "".join(self.parts), self.entities


# ---------------------------------------------------------------- HTML

_HTML_KINDS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "tg-spoiler": "spoiler",
    "span": "spoiler", "a": "text_link", "code": "code", "pre": "pre", "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);")
_ATTR = re.compile(r"""\s*([a-zA-Z_-]+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _html_entity(text: str, i: int) -> tuple[str, int]:
    match = _ENTITY.match(text, i)
    if match is None:
        return "&", i + 1
    body = match.group(1)
    if body.startswith("#"):
        return html.unescape(match.group(0)), match.end()
    if body in _NAMED:
        return _NAMED[body], match.end()
    return "&", i + 1  # unsupported named entity: Telegram keeps it literally


def parse_html(text: str) -> tuple[str, list[dict]]:
    out = _Builder()
    stack: list[tuple[str, int, dict]] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "&":
            literal, i = _html_entity(text, i)
            out.add(literal)
            continue
        if ch != "<":
            j = i
            while j < len(text) and text[j] not in "<&":
                j += 1
            out.add(text[i:j])
            i = j
            continue
        at = _byte_offset(text, i)
        end = text.find(">", i)
        if text.startswith("</", i):
            if end < 0:
                raise ParseError(f"Unclosed end tag at byte offset {at}")
            name = text[i + 2:end].strip().lower()
            if not stack:
                raise ParseError(f"Unexpected end tag at byte offset {at}")
            tag, start, attrs = stack.pop()
            if name and name != tag:
                raise ParseError(
                    f'Unmatched end tag at byte offset {at}, expected "</{tag}>", found "</{name}>"'
                )
            _close_html(out, tag, start, attrs)
            i = end + 1
            continue
        name_match = re.match(r"[a-zA-Z0-9-]*", text[i + 1:])
        name = name_match.group(0).lower() if name_match else ""
        if not name:
            raise ParseError(f"Unexpected end of name token at byte offset {at}")
        if name not in _HTML_KINDS:
            raise ParseError(f'Unsupported start tag "{name}" at byte offset {at}')
        if end < 0:
            raise ParseError(f"Unclosed start tag at byte offset {at}")
        attrs = {
            m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
            for m in _ATTR.finditer(text[i + 1 + len(name):end].rstrip("/"))
            if m.group(1)
        }
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise ParseError(f'Unsupported start tag "span" at byte offset {at}')
        stack.append((name, out.length, attrs))
        i = end + 1
    if stack:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return _merge_pre_code(*out.result())


def _close_html(out: _Builder, tag: str, start: int, attrs: dict) -> None:
    kind = _HTML_KINDS[tag]
    if kind == "text_link":
        href = attrs.get("href", "")
        if not href:
            return
        if href.startswith("tg://user?id="):
            user_id = int(href.split("=", 1)[1] or 0)
            out.entity("text_mention", start, user={"id": user_id, "is_bot": False, "first_name": "User"})
        else:
            out.entity("text_link", start, url=href)
    elif kind == "code" and attrs.get("class", "").startswith("language-"):
        out.entity("code", start, language=attrs["class"][len("language-"):])
    elif kind == "blockquote" and "expandable" in attrs:
        out.entity("expandable_blockquote", start)
    elif kind == "custom_emoji":
        out.entity("custom_emoji", start, custom_emoji_id=attrs.get("emoji-id", ""))
    else:
        out.entity(kind, start)


def _merge_pre_code(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    """<pre><code class="language-x"> becomes one `pre` entity with a language, as Telegram does."""
    merged: list[dict] = []
    for ent in entities:
        if ent["type"] == "pre":
            inner = next(
                (e for e in merged if e["type"] == "code" and e["offset"] == ent["offset"]
                 and e["length"] == ent["length"]), None,
            )
            if inner is not None:
                merged.remove(inner)
                if "language" in inner:
                    ent = {**ent, "language": inner["language"]}
        merged.append(ent)
    return text, merged


# ---------------------------------------------------------------- MarkdownV2

_MD2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MD2_MARKERS = {"*": "bold", "_": "italic", "__": "underline", "~": "strikethrough", "||": "spoiler"}
_MD2_NAMES = {"bold": "Bold", "italic": "Italic", "underline": "Underline", "strikethrough": "Strikethrough",
              "spoiler": "Spoiler", "text_link": "TextUrl"}


def parse_markdown_v2(text: str) -> tuple[str, list[dict]]:
    out = _Builder()
    stack: list[tuple[str, int, int]] = []  # (kind, start, byte offset)
    quote_start: int | None = None
    i = 0
    while i < len(text):
        ch = text[i]
        at = _byte_offset(text, i)
        line_start = i == 0 or text[i - 1] == "\n"
        if line_start:
            if ch == ">" or text.startswith("**>", i):
                if quote_start is None:
                    quote_start = out.length
                i += 3 if ch == "*" else 1
                continue
            if quote_start is not None:
                _end_quote(out, quote_start)
                quote_start = None
        if ch == "\\":
            if i + 1 < len(text) and 0 < ord(text[i + 1]) <= 126:
                out.add(text[i + 1])
                i += 2
                continue
            raise ParseError("Character '\\' is reserved and must be escaped with the preceding '\\'")
        if ch == "`":
            i = _md2_code(text, i, out)
            continue
        marker = "__" if text.startswith("__", i) else "||" if text.startswith("||", i) else ch
        if marker in _MD2_MARKERS:
            kind = _MD2_MARKERS[marker]
            if any(k == kind for k, _, _ in stack):
                if stack[-1][0] != kind:
                    raise ParseError(f"Can't find end of {_MD2_NAMES[stack[-1][0]]} entity at byte offset "
                                     f"{stack[-1][2]}")
                _, start, _ = stack.pop()
                out.entity(kind, start)
            else:
                stack.append((kind, out.length, at))
            i += len(marker)
            continue
        if ch == "!" and text.startswith("![", i):
            stack.append(("custom_emoji", out.length, at))
            i += 2
            continue
        if ch == "[":
            stack.append(("text_link", out.length, at))
            i += 1
            continue
        if ch == "]" and stack and stack[-1][0] in ("text_link", "custom_emoji"):
            kind, start, _ = stack.pop()
            if not text.startswith("(", i + 1):
                raise ParseError("Character ']' is reserved and must be escaped with the preceding '\\'")
            url, i = _md2_url(text, i + 2)
            if kind == "custom_emoji":
                out.entity("custom_emoji", start, custom_emoji_id=url.split("id=", 1)[-1])
            elif url.startswith("tg://user?id="):
                out.entity("text_mention", start,
                           user={"id": int(url.split("=", 1)[1] or 0), "is_bot": False, "first_name": "User"})
            else:
                out.entity("text_link", start, url=url)
            continue
        if ch in _MD2_RESERVED:
            raise ParseError(f"Character '{ch}' is reserved and must be escaped with the preceding '\\'")
        out.add(ch)
        i += 1
    if stack:
        kind, _, at = stack[-1]
        raise ParseError(f"Can't find end of {_MD2_NAMES.get(kind, 'CustomEmoji')} entity at byte offset {at}")
    if quote_start is not None:
        _end_quote(out, quote_start)
    return out.result()


def _end_quote(out: _Builder, start: int) -> None:
    # the newline that ends the quote is not part of it
    trailing = 1 if out.parts and out.parts[-1].endswith("\n") else 0
    out.length -= trailing
    out.entity("blockquote", start)
    out.length += trailing


def _md2_code(text: str, i: int, out: _Builder) -> int:
    fence = "```" if text.startswith("```", i) else "`"
    at = _byte_offset(text, i)
    j = i + len(fence)
    language = None
    if fence == "```":
        newline = text.find("\n", j)
        close = text.find("```", j)
        if 0 <= newline < (close if close >= 0 else len(text)):
            language = text[j:newline] or None
            j = newline + 1
    start = out.length
    while j < len(text):
        if text[j] == "\\" and j + 1 < len(text):
            out.add(text[j + 1])
            j += 2
            continue
        if text.startswith(fence, j):
            kind = "pre" if fence == "```" else "code"
            extra = {"language": language} if language else {}
            out.entity(kind, start, **extra)
            return j + len(fence)
        out.add(text[j])
        j += 1
    raise ParseError(f"Can't find end of {'Pre' if fence == '```' else 'Code'} entity at byte offset {at}")


def _md2_url(text: str, j: int) -> tuple[str, int]:
    url: list[str] = []
    while j < len(text):
        if text[j] == "\\" and j + 1 < len(text):
            url.append(text[j + 1])
            j += 2
            continue
        if text[j] == ")":
            return "".join(url), j + 1
        url.append(text[j])
        j += 1
    raise ParseError("Can't find end of a URL")


# ---------------------------------------------------------------- legacy Markdown

_MD1 = {"*": "bold", "_": "italic", "`": "code"}


def parse_markdown(text: str) -> tuple[str, list[dict]]:
    out = _Builder()
    i = 0
    while i < len(text):
        ch = text[i]
        at = _byte_offset(text, i)
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in "_*`[":
            out.add(text[i + 1])
            i += 2
        elif text.startswith("```", i):
            close = text.find("```", i + 3)
            if close < 0:
                raise ParseError(f"Can't find end of the entity starting at byte offset {at}")
            start = out.length
            out.add(text[i + 3:close])
            out.entity("pre", start)
            i = close + 3
        elif ch in _MD1:
            close = text.find(ch, i + 1)
            if close < 0:
                raise ParseError(f"Can't find end of the entity starting at byte offset {at}")
            start = out.length
            out.add(text[i + 1:close])
            out.entity(_MD1[ch], start)
            i = close + 1
        elif ch == "[":
            match = re.match(r"\[([^\]]*)\]\(([^)]*)\)", text[i:])
            if match is None:
                raise ParseError(f"Can't find end of the entity starting at byte offset {at}")
            start = out.length
            out.add(match.group(1))
            out.entity("text_link", start, url=match.group(2))
            i += match.end()
        else:
            out.add(ch)
            i += 1
    return out.result()


# ---------------------------------------------------------------- public entry points

_PARSERS = {"html": parse_html, "markdownv2": parse_markdown_v2, "markdown": parse_markdown}
_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")


def format_text(text: str, parse_mode: str | None, entities: list[dict] | None = None) -> tuple[str, list[dict]]:
    """Text and entities as Telegram stores them: markup parsed, surrounding whitespace trimmed.

    Raises ParseError for markup Telegram refuses and ValueError for an unknown parse mode.
    """
    if parse_mode:
        parser = _PARSERS.get(parse_mode.lower())
        if parser is None:
            raise ValueError(f"Bad Request: unsupported parse_mode {parse_mode!r}")
        plain, found = parser(text)
    else:
        plain, found = text, list(entities or [])
    return _strip(plain, found)


def _strip(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    stripped = text.strip()
    if not stripped:
        return "", []
    lead = u16(text[: len(text) - len(text.lstrip())])
    limit = u16(stripped)
    kept = []
    for ent in entities:
        start = max(ent["offset"] - lead, 0)
        end = min(ent["offset"] + ent["length"] - lead, limit)
        if end > start:
            kept.append({**ent, "offset": start, "length": end - start})
    kept.sort(key=lambda e: (e["offset"], -e["length"]))
    return stripped, kept


def command_entities(text: str) -> list[dict]:
    """The bot_command entities Telegram attaches to a user's message ("/start", "/pnl@bot")."""
    return [
        {"type": "bot_command", "offset": u16(text[: m.start()]), "length": u16(m.group(0))}
        for m in _COMMAND.finditer(text)
    ]
