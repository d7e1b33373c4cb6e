"""The import-linter contract that keeps the bot on the façade names every other engine module,
so a module added to engine/ later cannot be imported by the bot unnoticed."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = {"engine.facade", "engine.domain", "engine.errors"}


def _bot_contract() -> dict:  # type: ignore[type-arg]
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    (contract,) = [c for c in config["tool"]["importlinter"]["contracts"] if c.get("source_modules") == ["bot"]]
    return contract


def test_the_bot_contract_forbids_every_engine_module_but_the_public_three() -> None:
    modules = {"engine." + p.stem for p in (ROOT / "engine").iterdir()
               if not p.name.startswith("_") and (p.suffix == ".py" or (p / "__init__.py").exists())}
    assert PUBLIC <= modules
    assert set(_bot_contract()["forbidden_modules"]) == modules - PUBLIC


def test_the_public_error_module_has_what_the_command_catches() -> None:
    from engine import errors

    assert issubclass(errors.AuthError, errors.BrokerError)
    assert errors.quiet(type("Quiet", (Exception,), {"quiet": True})()) and not errors.quiet(ValueError())


# --- the engine's components are private: tests, benchmarks and the bot use the façade or engine.parts ---
def _component_reaches(source: str) -> list[str]:
    """Each ``engine.c`` / ``x.c.<component>`` / ``x._c`` in ``source`` (line and text). A SQLAlchemy
    table's ``.c.<column>`` is not one, unless a column is named after a component."""
    import ast
    from dataclasses import fields

    from engine.wiring import Components

    parts = {f.name for f in fields(Components)}
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Attribute):
            continue
        inner = node.value
        end = inner.attr if isinstance(inner, ast.Attribute) else inner.id if isinstance(inner, ast.Name) else ""
        if (node.attr == "_c" or (node.attr == "c" and ("engine" in end.lower() or end == "eng"))
                or (node.attr in parts and isinstance(inner, ast.Attribute) and inner.attr == "c")):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def test_the_component_scan_finds_what_it_must_and_nothing_else() -> None:
    reaching = ("engine.c.broker.open_orders()", "c = engine.c", "h.engine.c.repo", "second.c.manager",
                "eng.c", "engine._c.jobs", "self.engine.c")
    for text in reaching:
        assert _component_reaches(text), text
    for text in ("kv.c.value == 1", "table.c.key", "engine.broker.open_orders()", "_c = 3", "cache.c"):
        assert not _component_reaches(text), text


def test_no_test_benchmark_or_bot_module_reaches_into_the_engines_components() -> None:
    reaches = {}
    for folder in ("tests", "bench", "bot"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == Path(__file__).resolve():
                continue
            found = _component_reaches(path.read_text(encoding="utf-8"))
            if found:
                reaches[str(path.relative_to(ROOT))] = found
    assert reaches == {}, "use a façade method or an engine.parts property (engine.broker, …) instead"
