"""Generates the settings reference, docs/en/settings.md and docs/zh/settings.md, from the settings model
(variable, type, default, allowed range, description — the descriptions are the models' Field descriptions;
Chinese ones come from config/docs_zh.py, English where a translation is missing).

    python -m config.docs           # rewrite both files
    python -m config.docs --check   # exit 1 when a file is out of date (tests/config/test_docs_sync.py)
"""

from __future__ import annotations

import sys
import types
import typing
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from config.docs_zh import SECTIONS_ZH, TEXT_ZH, TYPES_ZH
from config.settings import PACKAGE_DIR, Settings

DOCS_DIR = PACKAGE_DIR / "docs"
LANGS = ("en", "zh")
COMMAND = "python -m config.docs"

SECTIONS_EN = {
    "": "General", "market": "Market data", "scan": "Scanner", "risk": "Risk and execution",
    "plan": "Trade plan", "broker": "Paper broker", "telegram": "Telegram", "exchange": "Exchange",
    "database": "Database", "http": "HTTP server", "hooks": "Incoming signals", "alerts": "Alert channels",
    "backup": "Backups", "venues": "Venues", "hedge": "Cross-venue hedge",
}
HEAD = {
    "en": ("# Settings reference\n\n"
           "Every setting is an environment variable (or a line in `.env`) with the prefix `SP_`; nested sections "
           "use a double underscore: `SP_<SECTION>__<NAME>`. Lists are comma-separated. A malformed value stops "
           "start-up with a message naming the variable (exit 2). Values marked *runtime-adjustable* can be changed "
           "from Telegram with /settings; a value changed there wins over the environment.\n\n"
           f"<!-- generated from config/settings.py by `{COMMAND}`; do not edit by hand -->\n",
           ("Variable", "Type", "Default", "Allowed", "Description")),
    "zh": ("# 配置参考\n\n"
           "每个配置都是一个环境变量（或 `.env` 中的一行），前缀为 `SP_`；嵌套分组用双下划线："
           "`SP_<分组>__<名称>`。列表用逗号分隔。格式错误的值会让启动失败，并给出变量名（退出码 2）。"
           "标有“runtime-adjustable（运行时可调）”的值可在 Telegram 中用 /settings 修改，修改后优先于环境变量。\n\n"
           f"<!-- 由 `{COMMAND}` 从 config/settings.py 生成；请勿手工编辑 -->\n",
           ("变量", "类型", "默认值", "取值范围", "说明")),
}


def _type_name(annotation: object) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        names = [_type_name(a) for a in args if a is not type(None)]
        return " or ".join(names)
    if origin is typing.Literal:
        return "one of: " + ", ".join(str(a) for a in args)
    if origin is list:
        return f"list of {_type_name(args[0])}"
    plain: dict[object, str] = {int: "integer", float: "number", Decimal: "decimal", str: "text",
                                bool: "true/false", Path: "path", SecretStr: "secret", datetime: "date/time (UTC)"}
    return plain.get(annotation, str(annotation))


def _default(field: FieldInfo) -> str:
    value = field.get_default(call_default_factory=True) if field.default is PydanticUndefined else field.default
    if value is None:
        return "—"
    if isinstance(value, Path):
        try:
            return value.relative_to(PACKAGE_DIR).as_posix()
        except ValueError:
            return value.as_posix()
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "—"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _allowed(field: FieldInfo) -> str:
    parts = []
    for item in field.metadata:
        for attr, sign in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
            bound = getattr(item, attr, None)
            if bound is not None:
                parts.append(f"{sign} {bound}")
    return ", ".join(parts)


def rows() -> list[tuple[str, str, str, str, str, str]]:
    """(section, variable, type, default, allowed, description) for every setting, in model order."""
    out = []
    for name, field in Settings.model_fields.items():
        ann = field.annotation
        value = typing.get_args(ann)[1] if typing.get_origin(ann) is dict else None
        if isinstance(value, type) and issubclass(value, BaseModel):  # named sections: SP_VENUES__<NAME>__...
            for sub, subfield in value.model_fields.items():
                out.append((name, f"SP_{name.upper()}__<NAME>__{sub.upper()}", _type_name(subfield.annotation),
                            _default(subfield), _allowed(subfield), subfield.description or ""))
        elif isinstance(ann, type) and issubclass(ann, BaseModel):
            for sub, subfield in ann.model_fields.items():
                out.append((name, f"SP_{name.upper()}__{sub.upper()}", _type_name(subfield.annotation),
                            _default(subfield), _allowed(subfield), subfield.description or ""))
        else:
            out.append(("", f"SP_{name.upper()}", _type_name(ann), _default(field), _allowed(field),
                        field.description or ""))
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _zh_type(text: str) -> str:
    for en, zh in TYPES_ZH.items():
        text = text.replace(en, zh)
    return text


def render(lang: str) -> str:
    head, columns = HEAD[lang]
    lines = [head.rstrip("\n")]
    section = None
    for sec, var, typ, default, allowed, desc in rows():
        if sec != section:
            section = sec
            title = SECTIONS_ZH.get(sec, sec) if lang == "zh" else SECTIONS_EN.get(sec, sec.capitalize())
            lines += ["", f"## {title}", "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        if lang == "zh":
            typ, desc = _zh_type(typ), TEXT_ZH.get(var, desc)
        cells = [f"`{var}`", typ, f"`{default}`" if default != "—" else default, allowed, desc]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def path(lang: str) -> Path:
    return DOCS_DIR / lang / "settings.md"


def main(argv: list[str] | None = None) -> int:
    check = "--check" in (argv if argv is not None else sys.argv[1:])
    stale = []
    for lang in LANGS:
        text, target = render(lang), path(lang)
        if check:
            if not target.is_file() or target.read_text(encoding="utf-8") != text:
                stale.append(target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target.relative_to(PACKAGE_DIR)}")
    if stale:
        print(f"out of date: {', '.join(str(p) for p in stale)}; run `{COMMAND}`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
