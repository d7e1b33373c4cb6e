"""What the settings sections share: the package's paths, the frozen ``Section`` base, comma-separated
list fields (``CsvStr``, ``CsvInt`` with the ``_split`` validator) and the timeframe check. Part of
``config.settings`` (re-exported there)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict
from pydantic_settings import NoDecode

PACKAGE_DIR = Path(__file__).resolve().parent.parent
SAMPLE_DATA_DIR = PACKAGE_DIR / "engine" / "market" / "sample"


def _split(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


CsvStr = Annotated[list[str], NoDecode]
CsvInt = Annotated[list[int], NoDecode]

_TIMEFRAME = re.compile(r"^[1-9][0-9]*[mhdw]$")


def check_timeframe(value: str) -> str:
    """``5m``, ``1h``, ``4h``, ``1d``, ``1w``: a positive number and a unit (m, h, d, w)."""
    if not _TIMEFRAME.match(value):
        raise ValueError(f"{value!r} is not a timeframe (use e.g. 5m, 15m, 1h, 4h, 1d)")
    return value


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
