"""The fake Binance answering as Aster checks Aster's v3 signing: the signer recovered from the EIP-712
signature must be the one the request names, approved by the account; anything else is refused with
Binance's codes, as Aster does."""

from __future__ import annotations

import aiohttp
import ccxt.async_support as ccxt_async
import pytest

from engine.brokers.ccxt.client import rewrite_urls
from engine.brokers.ccxt.venues.aster import Aster
from tests.fakes.binance import FakeBinance
from tests.fakes.binance.aster import TEST_SIGNER_KEY, TEST_USER, address_of


def _client(fake: FakeBinance, key: str = TEST_SIGNER_KEY) -> ccxt_async.aster:
    ex = ccxt_async.aster({"privateKey": key, "options": {"defaultType": "swap", "builderFee": False}})
    ex.urls["api"] = rewrite_urls(ex.urls["api"], fake.http_base)
    Aster().use_wallet(ex, TEST_USER)  # user: the account; signer: the key's address
    return ex


async def test_a_signed_request_of_the_approved_signer_is_answered() -> None:
    async with FakeBinance() as fake:
        ex = _client(fake)
        try:
            balance = await ex.fetch_balance()
        finally:
            await ex.close()
        assert balance["USDT"]["total"] == 10000
        assert fake.requests[-1].params["signer"] == address_of(TEST_SIGNER_KEY)


async def test_a_signature_by_another_key_than_the_named_signer_is_refused() -> None:
    async with FakeBinance() as fake:
        other = address_of("0x" + "21" * 32)
        fake.add_aster_wallet(TEST_USER, other)  # approved, but it is not who signed
        ex = _client(fake)
        ex.options["signerAddress"] = other
        try:
            with pytest.raises(ccxt_async.AuthenticationError, match="-1022"):
                await ex.fetch_balance()
        finally:
            await ex.close()


async def test_an_unsigned_or_incomplete_request_is_refused() -> None:
    async with FakeBinance() as fake, aiohttp.ClientSession() as http:
        url = f"{fake.http_base}/fapi/v3/balance"
        async with http.get(url, params={"signer": TEST_USER, "user": TEST_USER}) as reply:
            assert reply.status == 400 and (await reply.json())["code"] == -1102  # no nonce
        async with http.get(url, params={"signer": TEST_USER, "user": TEST_USER, "nonce": "1",
                                         "signature": "0x" + "00" * 65}) as reply:
            assert (await reply.json())["code"] == -1022
