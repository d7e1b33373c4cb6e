"""The engine's public errors: what the bot and the ``signalpilot`` command may catch and classify.

The bot imports only ``engine.facade``, ``engine.domain`` and this module (an import-linter
contract in pyproject.toml says so). The broker errors are defined next to the code that raises
them (``engine.brokers.errors``); the candle-file and download errors are defined here, so that a
front end catches them without importing what raises them (numpy, ccxt). This is the one place
outside code reaches them. Business outcomes are never raised: the façade returns result values
with reason codes.
"""

from __future__ import annotations

from engine.brokers.errors import (
    AuthError,
    BrokerError,
    InsufficientFunds,
    InvalidOrder,
    NetworkError,
    OrderNotFound,
    PositionModeError,
    RateLimited,
    TimestampError,
    UnknownOutcome,
    WouldTriggerImmediately,
)
from engine.preflight import StartupError
from engine.storage.backup import BackupError
from engine.tasks import quiet


class CsvFormatError(ValueError):
    """A replay file that does not follow the documented format."""


class DownloadError(Exception):
    """Bad input or an exchange refusal, with a message for the user (never a secret).

    ``network`` is True when the exchange could not be reached (worth retrying later).
    """

    def __init__(self, message: str, *, network: bool = False) -> None:
        super().__init__(message)
        self.network = network


__all__ = [
    "AuthError",
    "BackupError",
    "BrokerError",
    "CsvFormatError",
    "DownloadError",
    "InsufficientFunds",
    "InvalidOrder",
    "NetworkError",
    "OrderNotFound",
    "PositionModeError",
    "RateLimited",
    "StartupError",
    "TimestampError",
    "UnknownOutcome",
    "WouldTriggerImmediately",
    "quiet",
]
