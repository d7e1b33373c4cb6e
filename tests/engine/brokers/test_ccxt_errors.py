"""Venue errors become the engine's error types in one place; what is retried and what is not;
secrets never appear in an exception text or a log record."""

from __future__ import annotations

import logging

import ccxt
import pytest

from engine.brokers.ccxt.errors import translate
from engine.brokers.errors import (
    AuthError,
    BrokerError,
    InsufficientFunds,
    InvalidOrder,
    NetworkError,
    PositionModeError,
    RateLimited,
    TimestampError,
    UnknownOutcome,
    WouldTriggerImmediately,
)
from engine.domain.models import OrderRequest, OrderType
from tests.engine.brokers.test_ccxt_helpers import (
    BTC,
    BUY,
    SELL,
    D,
    entry,
    make_broker,
    placed,
    running,
    stop,
)
from tests.fakes.binance import FakeBinance


def _venue_error(code: int, msg: str, cls: type[Exception] = ccxt.ExchangeError) -> Exception:
    # the text ccxt builds from a Binance reply when it cannot pick the futures table (replaced host)
    return cls('binanceusdm {"code":' + str(code) + ',"msg":"' + msg + '"}')


@pytest.mark.parametrize("code,kind", [
    (-1021, TimestampError), (-2019, InsufficientFunds), (-2021, WouldTriggerImmediately),
    (-2022, InvalidOrder), (-4164, InvalidOrder), (-1111, InvalidOrder), (-1013, InvalidOrder),
    (-4003, InvalidOrder), (-4061, PositionModeError), (-4120, InvalidOrder), (-2015, AuthError),
    (-1022, AuthError), (-2014, AuthError), (-1003, RateLimited),
])
def test_binance_codes_in_plain_exchange_errors_map_to_engine_errors(code: int, kind: type[BrokerError]):
    err = translate(_venue_error(code, "some venue text"), "place order")
    assert type(err) is kind
    assert err.venue_code == str(code)
    assert str(err).startswith("place order: ")


def test_algo_api_code_says_what_to_do():
    err = translate(_venue_error(-4120, "Order type not supported for this endpoint."), "place stop")
    assert "algo-order API" in str(err)


def test_would_trigger_is_an_invalid_order_the_manager_can_single_out():
    err = translate(_venue_error(-2021, "Order would immediately trigger."), "place stop")
    assert isinstance(err, InvalidOrder) and err.code == "would_trigger"


@pytest.mark.parametrize("exc", [
    _venue_error(-2021, "Order would immediately trigger."),  # replaced host: a plain ExchangeError
    _venue_error(-2021, "Order would immediately trigger.", ccxt.OrderImmediatelyFillable),  # Binance's own host
    ccxt.OrderImmediatelyFillable("binanceusdm Order would immediately trigger."),  # no code in the text
])
def test_a_take_profit_refused_as_already_crossed_is_would_trigger_however_ccxt_raises_it(exc: Exception):
    err = translate(exc, "place take_profit sell BTC/USDT:USDT (sp-p1-tp1-0)", creating=True)
    assert type(err) is WouldTriggerImmediately


def test_rate_limit_carries_retry_after_from_the_reply_headers():
    err = translate(ccxt.DDoSProtection("binanceusdm 429 Too Many Requests {}"), "fetch", headers={"Retry-After": "7"})
    assert isinstance(err, RateLimited) and err.retry_after == 7.0


@pytest.mark.parametrize("exc,creating,kind", [
    (ccxt.RequestTimeout("binanceusdm POST http://h/fapi/v1/order?x=1&signature=ab12 timed out"), True,
     UnknownOutcome),
    (ccxt.RequestTimeout("binanceusdm GET http://h/fapi/v1/order timed out"), False, NetworkError),
    (ccxt.ExchangeNotAvailable("binanceusdm 503 Service Unavailable"), True, UnknownOutcome),
    (ccxt.NetworkError("connection reset"), False, NetworkError),
    (ccxt.AuthenticationError("binanceusdm invalid key"), False, AuthError),
    (ccxt.PermissionDenied("binanceusdm no futures permission"), False, AuthError),
    (ccxt.InsufficientFunds("binanceusdm margin"), False, InsufficientFunds),
    (ccxt.OrderImmediatelyFillable("binanceusdm would trigger"), False, WouldTriggerImmediately),
    (ccxt.InvalidNonce("binanceusdm timestamp"), False, TimestampError),
])
def test_ccxt_exception_classes_map_to_engine_errors(exc: Exception, creating: bool, kind: type[BrokerError]):
    err = translate(exc, "action", creating=creating)
    assert type(err) is kind
    assert "signature=ab12" not in str(err) and "http://" not in str(err)
    if creating and kind is UnknownOutcome:
        assert not isinstance(err, RateLimited)


async def test_venue_rejections_reach_the_caller_as_engine_errors():
    async with FakeBinance() as fake, running(fake) as (broker, _):
        await broker.prepare(BTC, 10)
        with pytest.raises(InsufficientFunds) as info:
            await broker.place_order(entry(qty="5"))  # 300k notional at 10x on a 10k wallet
        assert info.value.venue_code == "-2019"
        with pytest.raises(InvalidOrder) as info:
            await broker.place_order(entry(qty="0.001"))  # 60 USDT, the venue's minimum is 100
        assert info.value.venue_code == "-4164"
        close = OrderRequest("sp-p9-cl-0", BTC, SELL, OrderType.MARKET, D("0.010"), reduce_only=True)
        with pytest.raises(InvalidOrder) as info:
            await broker.place_order(close)  # nothing to reduce
        assert info.value.venue_code == "-2022"
        await broker.place_order(entry())
        with pytest.raises(WouldTriggerImmediately):
            await broker.place_order(stop("sp-p1-sl-1", trigger="60500"))  # a long's stop above the price
        fake.exchange.hedge = True  # someone switched the account to hedge mode meanwhile
        with pytest.raises(PositionModeError):
            await broker.place_order(entry("sp-p2-en-0"))


async def test_network_errors_and_rate_limits_on_reads_are_retried():
    async with FakeBinance() as fake, running(fake) as (broker, _):
        broker.call.max_wait = 0.05  # the fake asks for Retry-After: 30
        fake.inject("GET /fapi/v1/openOrders", "error500")
        fake.inject("GET /fapi/v1/openAlgoOrders", "rate_limit")
        before_plain, before_algo = fake.count("GET /fapi/v1/openOrders"), fake.count("GET /fapi/v1/openAlgoOrders")
        assert await broker.open_orders() == []
        assert fake.count("GET /fapi/v1/openOrders") - before_plain == 2
        assert fake.count("GET /fapi/v1/openAlgoOrders") - before_algo == 2


async def test_a_rate_limit_on_order_creation_is_raised_not_retried():
    async with FakeBinance() as fake, running(fake) as (broker, _):
        fake.inject("POST /fapi/v1/order", "rate_limit")
        with pytest.raises(RateLimited) as info:
            await broker.place_order(entry())
        assert info.value.retry_after == 30
        assert placed(fake) == 1 and fake.orders == {}


async def test_timestamp_error_resyncs_the_clock_and_succeeds():
    async with FakeBinance() as fake:
        fake.clock_offset_ms = -7000  # the venue's clock is 7 s behind ours: every signed call is -1021
        async with running(fake) as (broker, _):
            assert broker.call.resyncs == 1
            order = await broker.place_order(entry())
            assert order.filled_qty == D("0.010")
            assert fake.count("GET /fapi/v1/time") == 1


async def test_secrets_never_appear_in_exceptions_or_log_records(caplog: pytest.LogCaptureFixture):
    key, secret = "K3yK3yK3y-my-api-key-0123456789", "S3cr3tS3cr3t-my-signing-secret-987"
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    async with FakeBinance(api_key=key, secret=secret, timeout_hold=1.5) as fake:
        for bad_key, bad_secret in ((key + "x", secret), (key, secret + "x")):
            broker = make_broker(fake, key=bad_key, secret=bad_secret)
            with pytest.raises(AuthError) as info:
                await broker.start()
            await broker.close()
            texts += [str(info.value), repr(info.value)]
        async with running(fake) as (broker, _):
            fake.inject("POST /fapi/v1/order", "timeout", apply=False)
            with pytest.raises(UnknownOutcome) as unknown:
                await broker.place_order(entry())
            fake.inject("POST /fapi/v1/algoOrder", "rate_limit")
            await broker.place_order(entry("sp-p1-en-1"))
            with pytest.raises(RateLimited) as limited:
                await broker.place_order(stop())
            texts += [str(unknown.value), str(limited.value)]
            assert unknown.value.__cause__ is None and limited.value.__cause__ is None
    texts += [record.getMessage() for record in caplog.records if record.name != "aiohttp.access"]
    texts += [str(record.exc_info[1]) for record in caplog.records if record.exc_info]
    for text in texts:
        for secret_part in (key, secret, key + "x", secret + "x"):
            assert secret_part not in text
        assert "signature=" not in text.replace("signature=***", "")
    _ = BUY
