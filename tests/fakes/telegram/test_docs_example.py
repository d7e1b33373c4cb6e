"""The usage example in tests/fakes/telegram_api.py's docstring runs as written (the bot team copies it)."""

from __future__ import annotations

import textwrap

import tests.fakes.telegram_api as telegram_api


async def test_docstring_usage_example_passes() -> None:
    doc = telegram_api.__doc__ or ""
    lines = doc.split("Usage::\n", 1)[1].splitlines()
    end = next(i for i, line in enumerate(lines) if line and not line.startswith("    "))
    block = "\n".join(lines[:end])
    namespace: dict = {}
    exec(compile(textwrap.dedent(block), "telegram_api usage example", "exec"), namespace)  # noqa: S102
    await namespace["test_start_then_close"]()
