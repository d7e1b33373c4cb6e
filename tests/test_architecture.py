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
