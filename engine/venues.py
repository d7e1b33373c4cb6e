"""The venue registry: several venues in one engine, each with its own account, broker and market data.

The ``SP_EXCHANGE__...`` settings are the venue named ``default`` (nothing changes for a single-venue
set-up); ``SP_VENUES__<NAME>__...`` add named ones. A venue whose exchange ccxt does not have is
refused with the variable named (``venue_problems``, a blocking start-up check: exit 2). In paper
mode a venue is a ``PaperBroker`` on that venue's own market data (live public data, or a replay
folder ``<dir>/<venue>/``); live, a ``CcxtBroker`` with its own streams, REST fallback, error
mapping and request budget (each ccxt client paces its own requests).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.settings import ExchangeSettings, Settings, default_paper_balance
from engine.brokers.base import Broker
from engine.clock import Clock
from engine.market.base import MarketData

DEFAULT = "default"


@dataclass
class VenueHandle:
    """One venue: its name, broker and market data, and whether stops can rest on it."""

    name: str
    broker: Broker
    market: MarketData
    resting_stops: bool = True
    reachable: bool = True


class VenueRegistry(Mapping[str, VenueHandle]):
    """Venues by name; ``default`` is the single-exchange venue when the engine has one."""

    def __init__(self, venues: dict[str, VenueHandle]) -> None:
        self._venues = dict(venues)

    def __getitem__(self, name: str) -> VenueHandle:
        try:
            return self._venues[name.lower()]
        except KeyError:
            known = ", ".join(sorted(self._venues)) or "none"
            raise KeyError(f"unknown venue {name!r} (known: {known}; add SP_VENUES__{name.upper()}__EXCHANGE)") \
                from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._venues)

    def __len__(self) -> int:
        return len(self._venues)

    async def close(self) -> None:
        for handle in self._venues.values():
            for part in (handle.broker, handle.market):
                try:
                    await part.close()
                except Exception:  # closing one venue never stops the others closing
                    pass


def exchange_settings(settings: Settings) -> dict[str, ExchangeSettings]:
    """Every venue's exchange section: ``default`` first, then the named ones."""
    out = {DEFAULT: settings.exchange}
    for name, venue in settings.venues.items():
        out[name.lower()] = venue.as_exchange(name.lower())
    return out


def venue_problems(settings: Settings) -> list[str]:
    """One line per named venue whose exchange ccxt lacks, naming the variable."""
    from engine.brokers.ccxt.venues import ccxt_has

    problems = []
    for name, venue in settings.venues.items():
        exchange = venue.exchange or name
        if not ccxt_has(exchange):
            var = f"SP_VENUES__{name.upper()}__EXCHANGE"
            problems.append(f"{var}={exchange!r}: ccxt has no such exchange (e.g. aster, backpack, binanceusdm)")
    return problems


def credential_problems(settings: Settings) -> list[str]:
    """Live mode: one line per credential a venue's exchange needs (ccxt's ``requiredCredentials``) and
    that is not set, naming the variable — e.g. aster signs with a wallet key, not an API key."""
    from engine.brokers.ccxt.venues import ccxt_has, required_credentials

    if settings.paper:
        return []
    problems = []
    for name, venue in exchange_settings(settings).items():
        if venue.name == "qmt" or not ccxt_has(venue.name):
            continue  # the QMT bridge has its own check; an unknown exchange is ``venue_problems``' line
        prefix = "SP_EXCHANGE__" if name == DEFAULT else f"SP_VENUES__{name.upper()}__"
        given = {"API_KEY": venue.api_key, "API_SECRET": venue.api_secret, "PRIVATE_KEY": venue.private_key}
        missing = [prefix + suffix for suffix in required_credentials(venue.name)
                   if given[suffix] is None or not given[suffix].get_secret_value()]  # type: ignore[union-attr]
        if missing:
            problems.append(f"{' and '.join(missing)}: live trading on {venue.name} needs "
                            f"{'it' if len(missing) == 1 else 'them'}")
    return problems


def paper_store(db: Any, name: str) -> Any:
    """Where the named venue ``name`` keeps its paper account: its own rows of the ``paper_*`` tables
    (key ``venue:<name>``), never those of the engine's own paper venue (``default``) or another venue."""
    from engine.storage.paper_rows import PaperRows

    return PaperRows(db, venue=f"venue:{name.lower()}")


def build_paper_venue(name: str, settings: Settings, clock: Clock, market: MarketData, *,
                      store: Any = None, currency: str = "USDT") -> VenueHandle:
    """A simulated venue on ``market``: its own paper account, in its own rows (``store``: ``paper_store``)."""
    from engine.brokers.paper import PaperBroker

    broker_settings = settings.broker
    if broker_settings.paper_balance is None:
        broker_settings = broker_settings.model_copy(update={"paper_balance": default_paper_balance(currency)})
    broker = PaperBroker(broker_settings, clock, market.market,
                         store=store, currency=currency)
    broker.name = f"paper:{name}"
    return VenueHandle(name, broker, market)


def build_replay_venue(name: str, settings: Settings, clock: Any, root: Path, symbol: str,
                       timeframe: str, warmup: int = 0) -> VenueHandle:
    """A paper venue replaying ``root/<name>/{BASE}_{QUOTE}-{tf}.csv``."""
    from engine.market.replay import ReplayMarketData

    folder = Path(root) / name
    if not folder.is_dir():
        raise FileNotFoundError(f"no replay folder for venue {name!r}: {folder}")
    market = ReplayMarketData(folder, clock, base_timeframe=timeframe, symbols=[symbol], warmup=warmup, speed=0)
    return build_paper_venue(name, settings, clock, market)


def build_live_venue(name: str, exchange: ExchangeSettings, settings: Settings, clock: Clock, *,
                     store: Any = None) -> VenueHandle:
    """A venue on the exchange's live data: paper account in paper mode, the real one live."""
    from engine.brokers.ccxt import build_broker, build_live_market
    from engine.brokers.ccxt.venues import venue_for_exchange

    venue = venue_for_exchange(exchange.name)
    market = build_live_market(exchange, clock, poll_seconds=settings.market.poll_seconds)
    if settings.paper:
        handle = build_paper_venue(name, settings, clock, market, store=store, currency=venue.settle)
        return handle
    broker = build_broker(exchange, clock)
    return VenueHandle(name, broker, market, resting_stops=venue.resting_stops)
