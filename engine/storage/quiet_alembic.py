"""Alembic, imported with its INFO chatter silenced: it logs a line for every plugin as it is
imported (``alembic.runtime.plugins``) and for every migration step; only its warnings matter at
start. A level someone configured for the ``alembic`` logger is kept."""

from __future__ import annotations

import logging

_logger = logging.getLogger("alembic")
if _logger.level == logging.NOTSET:
    _logger.setLevel(logging.WARNING)

from alembic import command  # noqa: E402  (after the level is set: the import itself logs)
from alembic.config import Config  # noqa: E402

__all__ = ["Config", "command"]
