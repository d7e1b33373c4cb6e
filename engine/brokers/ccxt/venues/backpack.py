"""Backpack perpetuals (``SOL_USDC_PERP``): ED25519-signed REST under ``/api/v1`` and ``/wapi/v1``.

Tested against tests/fakes/backpack. ccxt's backpack class has no leverage, margin-mode or
position-mode calls (leverage is account-wide on Backpack) and no stop-loss order type in the
unified API, so the hedge closes a Backpack leg at market from the engine (``resting_stops``
False); take-profits are reduce-only limits. Its settle currency is USDC.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from engine.brokers.ccxt.venues.base import Venue


class Backpack(Venue):
    name: ClassVar[str] = "backpack"
    ccxt_id: ClassVar[str] = "backpack"
    ccxt_options: ClassVar[Mapping[str, Any]] = {"defaultType": "swap"}
    settle: ClassVar[str] = "USDC"
    position_mode: ClassVar[bool] = False
    margin_mode: ClassVar[bool] = False
    leverage_tiers: ClassVar[bool] = False
    leverage_per_symbol: ClassVar[bool] = False
    take_profit_style: ClassVar[str] = "limit"
    resting_stops: ClassVar[bool] = False
    max_leverage: ClassVar[int] = 50
