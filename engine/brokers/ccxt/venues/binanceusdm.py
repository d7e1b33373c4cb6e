"""Binance USDⓈ-M futures: stop and take-profit orders live in the algo-order book.

Since December 2025 Binance takes conditional orders only through ``/fapi/v1/algoOrder``;
ccxt sends them there and needs ``{'trigger': True}`` to fetch, list and cancel them. A
triggered algo order fills through a child market order whose id is ``actualOrderId``
(``ai`` in the websocket's ALGO_UPDATE).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from engine.brokers.ccxt.venues.base import Venue
from engine.domain.models import Balance
from engine.domain.values import dec


class BinanceUsdm(Venue):
    name: ClassVar[str] = "binanceusdm"
    ccxt_id: ClassVar[str] = "binanceusdm"
    ccxt_options: ClassVar[Mapping[str, Any]] = {
        "fetchCurrencies": False,  # no spot-wallet calls in load_markets
        "warnOnFetchOpenOrdersWithoutSymbol": False,
        "defaultType": "future",
    }
    tested: ClassVar[bool] = True
    conditional_params: ClassVar[Mapping[str, Any]] = {"trigger": True}
    separate_conditional_book: ClassVar[bool] = True
    liquidation_ids: ClassVar[tuple[str, ...]] = ("autoclose-", "adl_autoclose")

    def child_order_id(self, raw: Mapping[str, Any]) -> str | None:
        info = raw.get("info") or {}
        value = info.get("actualOrderId") or info.get("ai")
        if value in (None, "", "0", 0):
            return None
        return str(value)

    def conditional_filled(self, raw: Mapping[str, Any]) -> Decimal | None:
        executed = (raw.get("info") or {}).get("aq")
        return dec(executed) if executed not in (None, "", "0") else None

    def is_conditional_raw(self, raw: Mapping[str, Any]) -> bool:
        info = raw.get("info") or {}
        return "algoId" in info or "aid" in info or "clientAlgoId" in info or "caid" in info

    def balance_from(self, raw: Mapping[str, Any]) -> Balance:
        info = raw.get("info") or {}
        for asset in info.get("assets") or []:
            if asset.get("asset") == self.settle:
                wallet = dec(asset.get("walletBalance") or 0)
                equity = dec(asset.get("marginBalance") or wallet)
                free = dec(asset.get("availableBalance") or asset.get("maxWithdrawAmount") or 0)
                return Balance(currency=self.settle, wallet=wallet, equity=equity, free=free)
        return super().balance_from(raw)

    async def key_permissions(self, exchange: Any) -> Mapping[str, bool] | None:
        raw = await exchange.sapi_get_account_apirestrictions()
        return {"reading": bool(raw.get("enableReading")), "futures": bool(raw.get("enableFutures")),
                "withdrawals": bool(raw.get("enableWithdrawals"))}
