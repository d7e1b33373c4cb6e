"""The ``SP_`` variables of the environment and ``.env`` that match no setting, each with the closest
setting's name (a typo should not silently leave a default in place). Used by ``signalpilot check``
and the start-up checks."""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel

from config.settings import Settings, VenueSettings

RESERVED_PREFIXES = ("SP_TEST_",)  # used by the test suite, not by the bot


def setting_names(model: type[BaseModel] = Settings, prefix: str = "SP_") -> list[str]:
    """Every variable name the Settings model reads: ``SP_MODE``, ``SP_MARKET`` (a section as JSON),
    ``SP_MARKET__SOURCE``, …"""
    names = []
    for name, field in model.model_fields.items():
        ann = field.annotation
        names.append(f"{prefix}{name.upper()}")
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            names += setting_names(ann, f"{prefix}{name.upper()}__")
    return names


def unknown_variables(environ: Mapping[str, str | None] | None = None,
                      env_file: str | os.PathLike[str] | None = ".env") -> list[tuple[str, str | None]]:
    """``(name, closest valid name or None)`` for each ``SP_`` variable (environment and ``env_file``)
    that no setting reads: such a variable is otherwise silently ignored."""
    from dotenv import dotenv_values

    seen: dict[str, None] = {}
    for key in (os.environ if environ is None else environ):
        seen[key] = None
    if env_file is not None and Path(env_file).is_file():
        for key in dotenv_values(env_file):
            seen[key] = None
    valid = setting_names()
    unknown = []
    for key in seen:
        upper = key.upper()
        if not upper.startswith("SP_") or upper in valid or upper.startswith(RESERVED_PREFIXES):
            continue
        if _venue_variable(upper):
            continue
        close = difflib.get_close_matches(upper, valid, n=1, cutoff=0.75)
        unknown.append((key, close[0] if close else None))
    return unknown


def _venue_variable(name: str) -> bool:
    """``SP_VENUES__<NAME>__<FIELD>`` with a field of ``VenueSettings`` (any venue name)."""
    parts = name.split("__")
    return (len(parts) == 3 and parts[0] == "SP_VENUES" and bool(parts[1])
            and parts[2].lower() in VenueSettings.model_fields)


def unknown_variable_lines(unknown: list[tuple[str, str | None]], *, ignored: bool = True) -> list[str]:
    what = " is not a SignalPilot setting" + (" and is ignored" if ignored else "")
    return [name + what + (f": did you mean {close}?" if close else " (see config/example.env)")
            for name, close in unknown]
