"""The usage example in tests/fakes/telegram_api.py's docstring runs as written (the bot team copies it)."""

from __future__ import annotations

import textwrap

import tests.fakes.telegram_api as telegram_api


async def test_docstring_usage_example_passes() -> None:
    doc = telegram_api.__doc__ or ""
    block = doc.split("Usage::\n", 1)[1].split("\nFaults:", 1)[0]
    namespace: dict = {}
    exec(compile(textwrap.dedent(block), "telegram_api usage example", "exec"), namespace)  # noqa: S102
    await namespace["test_start_then_close"]()
