"""Per-venue declarations: ``venue_for(name)`` picks the ``Venue`` for ``SP_EXCHANGE__NAME``."""

from __future__ import annotations

from engine.brokers.ccxt.venues.aster import Aster
from engine.brokers.ccxt.venues.backpack import Backpack
from engine.brokers.ccxt.venues.base import Venue
from engine.brokers.ccxt.venues.binanceusdm import BinanceUsdm
from engine.brokers.ccxt.venues.bybit import Bybit
from engine.brokers.errors import BrokerError

VENUES: dict[str, type[Venue]] = {v.name: v for v in (BinanceUsdm, Bybit, Aster, Backpack)}
ALIASES = {"binance": "binanceusdm", "binanceusdm": "binanceusdm", "binance-futures": "binanceusdm"}


def venue_for(name: str) -> Venue:
    key = ALIASES.get(name.lower(), name.lower())
    cls = VENUES.get(key)
    if cls is None:
        known = ", ".join(sorted(VENUES))
        raise BrokerError(f"SP_EXCHANGE__NAME={name!r} is not supported for live trading (known: {known})")
    return cls()


def ccxt_has(exchange: str) -> bool:
    """Whether ccxt ships an exchange class with this id."""
    import ccxt

    return exchange.lower() in ccxt.exchanges or ALIASES.get(exchange.lower(), "") in ccxt.exchanges


# ccxt's credential names → the suffix of our setting that carries it
_CREDENTIALS = {"apiKey": "API_KEY", "secret": "API_SECRET", "privateKey": "PRIVATE_KEY"}


def required_credentials(exchange: str) -> list[str]:
    """The settings suffixes (``API_KEY``, ``API_SECRET``, ``PRIVATE_KEY``) this exchange needs to trade,
    from ccxt's own ``requiredCredentials``; empty for an exchange ccxt lacks."""
    import ccxt

    key = ALIASES.get(exchange.lower(), exchange.lower())
    cls = getattr(ccxt, key, None)
    if cls is None:
        return []
    needed = cls().requiredCredentials
    return [suffix for name, suffix in _CREDENTIALS.items() if needed.get(name)]


def venue_for_exchange(exchange: str) -> Venue:
    """The ``Venue`` of a named venue's exchange (``SP_VENUES__<NAME>__EXCHANGE``)."""
    return venue_for(exchange)


__all__ = ["Venue", "VENUES", "ccxt_has", "required_credentials", "venue_for", "venue_for_exchange"]
