"""Account endpoints: leverage, brackets, margin type, position mode, positions, balances,
income, commission rate, and the user-data-stream listenKey.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from . import account, errors
from .markets import bracket_info
from .rules import bool_param

if TYPE_CHECKING:
    from .server import FakeBinance

OK = {"code": 200, "msg": "success"}


def leverage(fake: FakeBinance, params: dict) -> dict:
    raw = params.get("leverage")
    if raw is None:
        raise errors.mandatory("leverage")
    try:
        value = int(raw)
    except ValueError as exc:
        raise errors.bad_param("leverage") from exc
    return fake.exchange.set_leverage(params.get("symbol"), value)


def leverage_bracket(fake: FakeBinance, params: dict):
    symbol = params.get("symbol")
    specs = [fake.exchange.spec(symbol)] if symbol else list(fake.exchange.specs.values())
    return [bracket_info(spec) for spec in specs]


def symbol_config(fake: FakeBinance, params: dict) -> list[dict]:
    """What ccxt's fetch_leverage / fetch_margin_mode read."""
    symbol = params.get("symbol")
    specs = [fake.exchange.spec(symbol)] if symbol else list(fake.exchange.specs.values())
    rows = []
    for spec in specs:
        settings = fake.exchange.settings[spec.symbol]
        cap = max(b.notional_cap for b in spec.leverage_brackets() if b.initial_leverage >= settings.leverage)
        rows.append({"symbol": spec.symbol, "marginType": settings.margin_type, "isAutoAddMargin": "false",
                     "leverage": settings.leverage, "maxNotionalValue": format(cap, "f")})
    return rows


def margin_type(fake: FakeBinance, params: dict) -> dict:
    fake.exchange.set_margin_type(params.get("symbol"), params.get("marginType"))
    return OK


def get_dual(fake: FakeBinance, params: dict) -> dict:
    return {"dualSidePosition": fake.exchange.hedge}


def set_dual(fake: FakeBinance, params: dict) -> dict:
    if params.get("dualSidePosition") is None:
        raise errors.mandatory("dualSidePosition")
    fake.exchange.set_dual(bool_param(params, "dualSidePosition"))
    return OK


def position_risk_v2(fake: FakeBinance, params: dict) -> list[dict]:
    symbol = params.get("symbol")
    if symbol:
        fake.exchange.spec(symbol)
    return account.position_risk_v2(fake.exchange, symbol)


def position_risk_v3(fake: FakeBinance, params: dict) -> list[dict]:
    symbol = params.get("symbol")
    if symbol:
        fake.exchange.spec(symbol)
    return account.position_risk_v3(fake.exchange, symbol)


def account_v2(fake: FakeBinance, params: dict) -> dict:
    return account.account(fake.exchange, 2)


def account_v3(fake: FakeBinance, params: dict) -> dict:
    return account.account(fake.exchange, 3)


def balance(fake: FakeBinance, params: dict) -> list[dict]:
    return account.balance(fake.exchange)


def income(fake: FakeBinance, params: dict) -> list[dict]:
    rows = fake.exchange.incomes
    if params.get("symbol"):
        rows = [r for r in rows if r.symbol == params["symbol"]]
    if params.get("incomeType"):
        rows = [r for r in rows if r.income_type == params["incomeType"]]
    if params.get("startTime") is not None:
        rows = [r for r in rows if r.time >= int(params["startTime"])]
    if params.get("endTime") is not None:
        rows = [r for r in rows if r.time <= int(params["endTime"])]
    limit = min(int(params.get("limit", 100)), 1000)
    return [r.to_json() for r in rows][:limit]


def commission_rate(fake: FakeBinance, params: dict) -> dict:
    spec = fake.exchange.spec(params.get("symbol"))
    return {"symbol": spec.symbol, "makerCommissionRate": str(fake.exchange.maker_fee),
            "takerCommissionRate": str(fake.exchange.taker_fee), "rpiCommissionRate": "0"}


def new_listen_key(fake: FakeBinance, params: dict) -> dict:
    if not fake.listen_keys:
        fake.listen_keys.add(secrets.token_urlsafe(48))
    return {"listenKey": next(iter(fake.listen_keys))}


def keep_listen_key(fake: FakeBinance, params: dict) -> dict:
    if not fake.listen_keys:
        raise errors.BinanceError(-1125, "This listenKey does not exist.")
    return {"listenKey": next(iter(fake.listen_keys))}


def close_listen_key(fake: FakeBinance, params: dict) -> dict:
    fake.listen_keys.clear()
    return {}


def api_restrictions(fake: FakeBinance, params: dict) -> dict:
    """What the key may do (Binance's /sapi/v1/account/apiRestrictions); ``fake.key_permissions``."""
    return {"ipRestrict": False, "createTime": 0, "enableInternalTransfer": False,
            "enableMargin": False, "enableSpotAndMarginTrading": False, "permitsUniversalTransfer": False,
            "enableVanillaOptions": False, **fake.key_permissions}


SIGNED_ROUTES = {
    ("GET", "/sapi/v1/account/apiRestrictions"): api_restrictions,
    ("POST", "/fapi/v1/leverage"): leverage,
    ("GET", "/fapi/v1/leverageBracket"): leverage_bracket,
    ("POST", "/fapi/v1/marginType"): margin_type,
    ("GET", "/fapi/v1/symbolConfig"): symbol_config,
    ("GET", "/fapi/v1/positionSide/dual"): get_dual,
    ("POST", "/fapi/v1/positionSide/dual"): set_dual,
    ("GET", "/fapi/v2/positionRisk"): position_risk_v2,
    ("GET", "/fapi/v3/positionRisk"): position_risk_v3,
    ("GET", "/fapi/v2/account"): account_v2,
    ("GET", "/fapi/v3/account"): account_v3,
    ("GET", "/fapi/v2/balance"): balance,
    ("GET", "/fapi/v3/balance"): balance,
    ("GET", "/fapi/v1/income"): income,
    ("GET", "/fapi/v1/commissionRate"): commission_rate,
}

KEY_ROUTES = {
    ("POST", "/fapi/v1/listenKey"): new_listen_key,
    ("PUT", "/fapi/v1/listenKey"): keep_listen_key,
    ("DELETE", "/fapi/v1/listenKey"): close_listen_key,
}
