"""Binance error replies: one exception type carrying the code, message and HTTP status.

Handlers raise ``BinanceError``; the server turns it into ``{"code": -2019, "msg": "..."}``.
The constructors below use the codes and messages Binance USDⓈ-M futures sends, so that
ccxt parses them exactly as it parses the real venue's replies.
"""

from __future__ import annotations


class BinanceError(Exception):
    def __init__(self, code: int, msg: str, status: int = 400, headers: dict[str, str] | None = None):
        super().__init__(f"{code} {msg}")
        self.code = code
        self.msg = msg
        self.status = status
        self.headers = headers or {}

    def body(self) -> dict:
        return {"code": self.code, "msg": self.msg}


def unknown_error() -> BinanceError:
    return BinanceError(-1000, "An unknown error occurred while processing the request.", 500)


def too_many_requests(limit: int, retry_after: int) -> BinanceError:
    return BinanceError(
        -1003,
        f"Too many requests; current limit is {limit} requests per minute. "
        "Please use the websocket for live updates to avoid polling the API.",
        429,
        {"Retry-After": str(retry_after)},
    )


def bad_timestamp() -> BinanceError:
    return BinanceError(-1021, "Timestamp for this request is outside of the recvWindow.")


def bad_signature() -> BinanceError:
    return BinanceError(-1022, "Signature for this request is not valid.")


def mandatory(name: str) -> BinanceError:
    return BinanceError(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


def not_required(name: str) -> BinanceError:
    return BinanceError(-1106, f"Parameter '{name}' sent when not required.")


def bad_param(name: str) -> BinanceError:
    return BinanceError(-1130, f"Data sent for parameter '{name}' is not valid.")


def bad_symbol() -> BinanceError:
    return BinanceError(-1121, "Invalid symbol.")


def precision() -> BinanceError:
    return BinanceError(-1111, "Precision is over the maximum defined for this asset.")


def lot_size() -> BinanceError:
    return BinanceError(-1013, "Filter failure: LOT_SIZE")


def unknown_order() -> BinanceError:
    return BinanceError(-2011, "Unknown order sent.")


def no_such_order() -> BinanceError:
    return BinanceError(-2013, "Order does not exist.")


def bad_api_key() -> BinanceError:
    return BinanceError(-2015, "Invalid API-key, IP, or permissions for action.", 401)


def margin_insufficient() -> BinanceError:
    return BinanceError(-2019, "Margin is insufficient.")


def would_trigger() -> BinanceError:
    return BinanceError(-2021, "Order would immediately trigger.")


def reduce_only_rejected() -> BinanceError:
    return BinanceError(-2022, "ReduceOnly Order is rejected.")


def qty_below_zero() -> BinanceError:
    return BinanceError(-4003, "Quantity less than or equal to zero.")


def qty_above_max() -> BinanceError:
    return BinanceError(-4005, "Quantity greater than max quantity.")


def price_tick() -> BinanceError:
    return BinanceError(-4014, "Price not increased by tick size.")


def bad_client_id() -> BinanceError:
    return BinanceError(-4015, "Client order id is not valid.")


def qty_step() -> BinanceError:
    return BinanceError(-4023, "Qty not increased by step size.")


def bad_leverage(leverage: str) -> BinanceError:
    return BinanceError(-4028, f"Leverage {leverage} is not valid")


def margin_type_unchanged() -> BinanceError:
    # ccxt recognises this exact message and raises MarginModeAlreadySet.
    return BinanceError(-4046, "No need to change margin type.")


def margin_type_locked() -> BinanceError:
    return BinanceError(-4048, "Margin type cannot be changed if there exists position.")


def position_mode_unchanged() -> BinanceError:
    return BinanceError(-4059, "No need to change position side.")


def position_side_mismatch() -> BinanceError:
    return BinanceError(-4061, "Order's position side does not match user's setting.")


def position_mode_open_orders() -> BinanceError:
    return BinanceError(-4067, "Position side cannot be changed if there exists open orders.")


def position_mode_positions() -> BinanceError:
    return BinanceError(-4068, "Position side cannot be changed if there exists position.")


def duplicate_client_id() -> BinanceError:
    return BinanceError(-4116, "ClientOrderId is duplicated.")


def notional_too_small(min_notional: str) -> BinanceError:
    return BinanceError(
        -4164, f"Order's notional must be no smaller than {min_notional} (unless you choose reduce only)."
    )


def post_only_rejected() -> BinanceError:
    return BinanceError(
        -5022, "Due to the order could not be executed as maker, the Post Only order will be rejected."
    )


def close_position_quantity() -> BinanceError:
    return BinanceError(-4136, "Target strategy invalid for orderType STOP_MARKET,closePosition true")
