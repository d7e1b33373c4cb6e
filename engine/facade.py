"""The Engine façade: built from Settings; the one object the bot and the CLI talk to.

Every method is safe to call from a Telegram handler: it validates input and returns a
result value with a reason code instead of raising for business outcomes.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from config.settings import Settings
from engine.bus import EventBus
from engine.clock import Clock
from engine.domain.events import PanicCompleted
from engine.domain.models import Balance, Position, Signal
from engine.market.base import PriceTick
from engine.views import (
    CancelResult,
    ChartData,
    CloseResult,
    ConfirmResult,
    PnlStats,
    PositionView,
    ScanResult,
    SettingUpdate,
    StatusView,
)


class Engine:
    """SignalPilot's engine. ``await Engine.create(settings)`` then ``await engine.start()``."""

    settings: Settings
    bus: EventBus
    clock: Clock
    paper: bool

    # --- lifecycle -------------------------------------------------------------------------
    @classmethod
    async def create(cls, settings: Settings, *, clock: Clock | None = None) -> Engine:
        """Build every component from the settings (nothing is started yet)."""
        raise NotImplementedError

    async def start(self, *, run_feed: bool = True, run_jobs: bool = True) -> None:
        """Migrate the database, load markets, recover open positions, start jobs and feeds.
        Tests pass ``run_feed=False, run_jobs=False`` and drive the market with ``step_market``
        or ``on_tick``."""
        raise NotImplementedError

    async def step_market(self, candles: int = 1) -> None:
        """Replay only: advance the replay by ``candles`` base candles through the normal tick path."""
        raise NotImplementedError

    async def on_tick(self, tick: PriceTick) -> None:
        """A price from the market source: the broker matches resting orders, positions react."""
        raise NotImplementedError

    async def stop(self) -> None:
        """Stop feeds and jobs; state is already persisted."""
        raise NotImplementedError

    # --- signals ---------------------------------------------------------------------------
    async def analyse(self, symbol: str) -> Signal | None:
        """Score one symbol now and return its signal whatever the score (persisted, raised on
        the bus as ``SignalRaised``). None when the symbol is unknown or has no data."""
        raise NotImplementedError

    async def known_symbol(self, symbol: str) -> str | None:
        """The canonical symbol for user input such as ``eth/btc``, ``ETHBTC`` or ``ETH``; None if unknown."""
        raise NotImplementedError

    async def scan_now(self) -> ScanResult:
        raise NotImplementedError

    async def get_signal(self, signal_id: str) -> Signal | None:
        raise NotImplementedError

    async def confirm(self, signal_id: str, by: str, max_drift_pct: Decimal | None = None) -> ConfirmResult:
        """Execute a raised signal. Idempotent: a second call returns ALREADY. When the price moved
        more than ``max_drift_pct`` % from the signal's entry, the signal is re-planned at the
        new price and DRIFT is returned (ask the user again)."""
        raise NotImplementedError

    async def cancel(self, signal_id: str, by: str) -> CancelResult:
        raise NotImplementedError

    # --- positions -------------------------------------------------------------------------
    async def positions(self) -> list[PositionView]:
        raise NotImplementedError

    async def get_position(self, position_id: str) -> Position | None:
        raise NotImplementedError

    async def find_open_position(self, symbol: str) -> Position | None:
        raise NotImplementedError

    async def close_position(self, position_id: str, by: str) -> CloseResult:
        raise NotImplementedError

    async def panic(self, by: str) -> PanicCompleted:
        """Cancel every order, close every position at market, pause entries. Concurrent calls
        share one run (the second caller gets the same result)."""
        raise NotImplementedError

    async def pause(self, by: str) -> bool:
        """Pause new entries; False when already paused."""
        raise NotImplementedError

    async def resume(self, by: str) -> bool:
        raise NotImplementedError

    # --- reading ---------------------------------------------------------------------------
    async def status(self) -> StatusView:
        raise NotImplementedError

    async def balance(self) -> Balance:
        raise NotImplementedError

    async def pnl(self, period: str) -> PnlStats:
        """``period`` in today, 7d, 30d, all (ValueError otherwise)."""
        raise NotImplementedError

    async def history(self, n: int = 10) -> list[Position]:
        """The last ``n`` closed positions, newest first."""
        raise NotImplementedError

    async def chart_data(self, symbol: str, timeframe: str = "15m", limit: int = 120) -> ChartData:
        """Candles plus the levels and fills of the symbol's open (or last) position."""
        raise NotImplementedError

    # --- runtime settings --------------------------------------------------------------------
    def runtime_settings(self) -> dict[str, str]:
        """Current values of: execution_mode, min_score, max_leverage, risk_per_trade_pct,
        max_positions, scan_interval_min."""
        raise NotImplementedError

    async def update_setting(self, key: str, value: str) -> SettingUpdate:
        """Validate, persist and apply one runtime setting (it then overrides the environment)."""
        raise NotImplementedError

    # --- front-end memory (kept in the database, no SQL in the bot) ---------------------------
    async def user_language(self, user_id: int) -> str | None:
        raise NotImplementedError

    async def set_user_language(self, user_id: int, lang: str) -> None:
        raise NotImplementedError

    async def save_card(self, signal_id: str, chat_id: int, message_id: int) -> None:
        """Remember where a signal's card was sent, so alerts reply to it (survives restarts)."""
        raise NotImplementedError

    async def cards(self, signal_id: str) -> list[tuple[int, int]]:
        """(chat_id, message_id) of every card sent for the signal."""
        raise NotImplementedError

    def next_scan_at(self) -> datetime | None:
        raise NotImplementedError
