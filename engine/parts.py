"""The engine's real parts, read-only, for tests, benchmarks and tools that need one of them.

``Engine`` mixes this in. The wiring's ``Components`` stay private to the engine (``Engine._c``);
what a front end needs is a façade method, and what a test legitimately needs beyond that (the
venue's resting orders, the stored fills, the database a fault is injected into) is one of the
properties below: the very object the engine runs on, never a copy. Each is a public API of its
own (``PositionManager.open_positions``/``orders_of``, ``Repository``, ``Broker``, ``Jobs``…).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.brokers.base import Broker
    from engine.clock import Clock
    from engine.intake.service import IntakeService
    from engine.jobs import Jobs
    from engine.market.base import MarketData
    from engine.positions.manager import PositionManager
    from engine.signal_service import SignalService
    from engine.storage.db import Database
    from engine.storage.repository import Repository
    from engine.wiring import Components


class RealParts:
    _c: Components

    @property
    def broker(self) -> Broker:
        """The venue orders go to: the paper broker, or the live exchange's adapter."""
        return self._c.broker

    @property
    def repository(self) -> Repository:
        """The engine's store: signals, positions, orders, fills, the alert outbox."""
        return self._c.repo

    @property
    def database(self) -> Database:
        """The database the repository writes through (its SQLAlchemy engine, its fault hook)."""
        return self._c.db

    @property
    def market(self) -> MarketData:
        """The market data source: replayed candles or the live exchange's public data."""
        return self._c.market

    @property
    def manager(self) -> PositionManager:
        """The position manager: the open positions and their orders, as the engine holds them."""
        return self._c.manager

    @property
    def jobs(self) -> Jobs:
        """The scheduled jobs (scan, expire, equity, reconcile): when each runs next."""
        return self._c.jobs

    @property
    def signals(self) -> SignalService:
        """The signal service: raised signals' expiry deadlines."""
        return self._c.signals

    @property
    def intake(self) -> IntakeService | None:
        """Signals from outside (TradingView webhooks, free text): what the HTTP server hands them to."""
        return self._c.intake

    def count_ttl_in(self, clock: Clock) -> None:
        """A signal's time to live is counted on ``clock`` from now on (``start`` passes the wall
        clock when a replay runs faster than real time, so a card lives minutes a human can use)."""
        self._c.signals.expiry_clock = self._c.trading.expiry_clock = clock
