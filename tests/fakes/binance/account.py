"""Account views in Binance's JSON shapes: account (v2/v3), balance (v2/v3), positionRisk (v2/v3).

ccxt's ``fetch_balance`` reads ``GET /fapi/v3/account`` (assets with ``updateTime`` != 0) and
``fetch_positions`` reads ``GET /fapi/v3/positionRisk`` (rows with ``entryPrice`` > 0); the v2
variants answer when a client passes ``useV2``.
"""

from __future__ import annotations

from decimal import Decimal

from .matching import Exchange
from .state import ZERO, Position, s


def _margin_type(ex: Exchange, symbol: str) -> str:
    return "isolated" if ex.settings[symbol].margin_type == "ISOLATED" else "cross"


def _position_numbers(ex: Exchange, p: Position) -> dict:
    mark = ex.tickers[p.symbol].mark
    lev = ex.settings[p.symbol].leverage
    notional = p.amt * mark
    margin = abs(notional) / lev
    isolated = _margin_type(ex, p.symbol) == "isolated"
    isolated_wallet = (abs(p.amt) * p.entry_price / lev) if isolated else ZERO
    up = p.unrealized(mark)
    spec = ex.specs[p.symbol]
    ratio = spec.leverage_brackets()[0].maint_margin_ratio
    return {"mark": mark, "notional": notional, "margin": margin, "up": up, "lev": lev,
            "isolated_wallet": isolated_wallet,
            "isolated_margin": (isolated_wallet + up) if isolated else ZERO,
            "maint": abs(notional) * ratio}


def _open_margin(ex: Exchange, symbol: str) -> Decimal:
    return sum((ex.order_margin(o) for o in ex.orders.values()
                if o.symbol == symbol and o.is_open and o.type == "LIMIT" and not o.reduce_only), ZERO)


def _rows(ex: Exchange, symbol: str | None, include_flat: bool) -> list[Position]:
    rows = []
    sides = ("LONG", "SHORT") if ex.hedge else ("BOTH",)
    for sym in ex.specs:
        if symbol and sym != symbol:
            continue
        for side in sides:
            p = ex.position(sym, side)
            if p.amt or include_flat:
                rows.append(p)
    return rows


def position_risk_v3(ex: Exchange, symbol: str | None) -> list[dict]:
    out = []
    for p in _rows(ex, symbol, include_flat=False):
        n = _position_numbers(ex, p)
        out.append({
            "symbol": p.symbol, "positionSide": p.position_side, "positionAmt": s(p.amt),
            "entryPrice": s(p.entry_price), "breakEvenPrice": s(p.entry_price), "markPrice": s(n["mark"]),
            "unRealizedProfit": s(n["up"]), "liquidationPrice": "0", "isolatedMargin": s(n["isolated_margin"]),
            "notional": s(n["notional"]), "marginAsset": "USDT", "isolatedWallet": s(n["isolated_wallet"]),
            "initialMargin": s(n["margin"]), "maintMargin": s(n["maint"]),
            "positionInitialMargin": s(n["margin"]), "openOrderInitialMargin": s(_open_margin(ex, p.symbol)),
            "adl": 0, "bidNotional": "0", "askNotional": "0", "updateTime": p.update_time,
        })
    return out


def position_risk_v2(ex: Exchange, symbol: str | None) -> list[dict]:
    out = []
    for p in _rows(ex, symbol, include_flat=True):
        n = _position_numbers(ex, p)
        out.append({
            "symbol": p.symbol, "positionAmt": s(p.amt), "entryPrice": s(p.entry_price),
            "breakEvenPrice": s(p.entry_price), "markPrice": s(n["mark"]), "unRealizedProfit": s(n["up"]),
            "liquidationPrice": "0", "leverage": str(n["lev"]), "maxNotionalValue": "50000",
            "marginType": _margin_type(ex, p.symbol), "isolatedMargin": s(n["isolated_margin"]),
            "isAutoAddMargin": "false", "positionSide": p.position_side, "notional": s(n["notional"]),
            "isolatedWallet": s(n["isolated_wallet"]), "updateTime": p.update_time,
        })
    return out


def _totals(ex: Exchange) -> dict:
    up = ex.unrealized()
    position_margin = sum((ex.position_margin(p) for p in ex.positions.values()), ZERO)
    order_margin = ex.open_order_margin()
    maint = sum((_position_numbers(ex, p)["maint"] for p in ex.positions.values() if p.amt), ZERO)
    available = ex.available()
    return {"wallet": ex.wallet, "up": up, "margin_balance": ex.wallet + up,
            "initial": position_margin + order_margin, "position": position_margin, "orders": order_margin,
            "maint": maint, "available": available, "max_withdraw": max(ZERO, min(available, ex.wallet))}


def _asset(ex: Exchange, t: dict) -> dict:
    return {
        "asset": "USDT", "walletBalance": s(t["wallet"]), "unrealizedProfit": s(t["up"]),
        "marginBalance": s(t["margin_balance"]), "maintMargin": s(t["maint"]),
        "initialMargin": s(t["initial"]), "positionInitialMargin": s(t["position"]),
        "openOrderInitialMargin": s(t["orders"]), "crossWalletBalance": s(t["wallet"]),
        "crossUnPnl": s(t["up"]), "availableBalance": s(t["available"]),
        "maxWithdrawAmount": s(t["max_withdraw"]), "marginAvailable": True, "updateTime": ex.balance_time,
    }


def account(ex: Exchange, version: int) -> dict:
    t = _totals(ex)
    body = {
        "totalInitialMargin": s(t["initial"]), "totalMaintMargin": s(t["maint"]),
        "totalWalletBalance": s(t["wallet"]), "totalUnrealizedProfit": s(t["up"]),
        "totalMarginBalance": s(t["margin_balance"]), "totalPositionInitialMargin": s(t["position"]),
        "totalOpenOrderInitialMargin": s(t["orders"]), "totalCrossWalletBalance": s(t["wallet"]),
        "totalCrossUnPnl": s(t["up"]), "availableBalance": s(t["available"]),
        "maxWithdrawAmount": s(t["max_withdraw"]), "assets": [_asset(ex, t)],
    }
    positions = []
    for p in _rows(ex, None, include_flat=version == 2):
        n = _position_numbers(ex, p)
        row = {"symbol": p.symbol, "positionSide": p.position_side, "positionAmt": s(p.amt),
               "unrealizedProfit": s(n["up"]), "isolatedMargin": s(n["isolated_margin"]),
               "notional": s(n["notional"]), "isolatedWallet": s(n["isolated_wallet"]),
               "initialMargin": s(n["margin"]), "maintMargin": s(n["maint"]), "updateTime": p.update_time}
        if version == 2:
            row.update({"leverage": str(n["lev"]), "entryPrice": s(p.entry_price),
                        "isolated": _margin_type(ex, p.symbol) == "isolated",
                        "positionInitialMargin": s(n["margin"]), "openOrderInitialMargin": "0",
                        "maxNotional": "50000", "bidNotional": "0", "askNotional": "0"})
        positions.append(row)
    body["positions"] = positions
    if version == 2:
        body.update({"feeTier": 0, "canTrade": True, "canDeposit": True, "canWithdraw": True,
                     "updateTime": 0, "multiAssetsMargin": False, "tradeGroupId": -1})
    return body


def balance(ex: Exchange) -> list[dict]:
    t = _totals(ex)
    return [{"accountAlias": "SgAuFzTiXqsRfW", "asset": "USDT", "balance": s(t["wallet"]),
             "crossWalletBalance": s(t["wallet"]), "crossUnPnl": s(t["up"]),
             "availableBalance": s(t["available"]), "maxWithdrawAmount": s(t["max_withdraw"]),
             "marginAvailable": True, "updateTime": ex.balance_time}]
