"""The engine's public errors: what the bot and the ``signalpilot`` command may catch and classify.

The bot imports only ``engine.facade``, ``engine.domain`` and this module (an import-linter
contract in pyproject.toml says so). The types are defined next to the code that raises them
(the broker errors in ``engine.brokers.errors``); this is the one place outside code reaches
them. Business outcomes are never raised: the façade returns result values with reason codes.
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

__all__ = [
    "AuthError",
    "BackupError",
    "BrokerError",
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
