"""A local fake of Backpack's perpetual futures REST API (``/api/v1``, ``/wapi/v1``), speaking what ccxt's
``backpack`` class sends: ED25519-signed requests, markets, ticker, klines, capital, position, orders, fills."""

from tests.fakes.backpack.auth import new_keys
from tests.fakes.backpack.server import FakeBackpack

__all__ = ["FakeBackpack", "new_keys"]
