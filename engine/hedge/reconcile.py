"""Reconciliation of the named venues (``SP_VENUES__<NAME>``) the engine trades on, at start and every
``SP_EXCHANGE__RECONCILE_MIN`` like the default venue (engine/positions/reconcile.py).

The hedge recovers its own round by client id (``HedgeRunner.recover``); this looks at what else is
on the venue. What the engine knows on a venue: the orders of the round under way (``hg-<round>-…``)
and its open legs, and the positions and live orders recorded for that venue. Then, as for the
default venue:
- an orphan order of ours (``hg-`` or ``sp-`` client id, not known) is cancelled;
- any other open order, and a venue position the engine does not know about, is reported, never touched.
The venue's state is read BEFORE what the engine knows, so an order placed meanwhile is not an orphan.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from engine.brokers.errors import BrokerError
from engine.domain.hedge import HedgeRound, LegState

log = logging.getLogger("engine.reconcile")

OURS = ("hg-", "sp-")


@dataclass
class VenueReport:
    venue: str
    orphans_cancelled: list[str] = field(default_factory=list)
    unknown_orders: list[str] = field(default_factory=list)
    unknown_positions: list[str] = field(default_factory=list)
    error: str | None = None  # the venue could not be asked (it is asked again next time)

    @property
    def repaired(self) -> bool:
        """Whether a human needs to hear about it (the façade raises ``RECONCILED``)."""
        return bool(self.orphans_cancelled or self.unknown_orders or self.unknown_positions)

    def summary(self) -> str:
        parts = [f"{name}={len(items)}" for name, items in (
            ("orphans_cancelled", self.orphans_cancelled), ("unknown_orders", self.unknown_orders),
            ("unknown_positions", self.unknown_positions)) if items]
        return f"venue {self.venue}: " + ", ".join(parts)


def round_knows(rnd: HedgeRound | None, venue: str) -> tuple[set[str], set[str]]:
    """(client-id prefixes, symbols) the round under way has on ``venue``."""
    if rnd is None or not rnd.is_active:
        return set(), set()
    legs = [leg for leg in rnd.legs if leg.venue == venue]
    symbols = {leg.symbol or rnd.symbol for leg in legs if leg.state in (LegState.OPENING, LegState.OPEN)}
    return ({f"hg-{rnd.id}-"} if legs else set()), symbols


async def reconcile_venue(name: str, broker: Any, repo: Any,
                          rounds: Callable[[], Awaitable[Iterable[HedgeRound | None]]]) -> VenueReport:
    """Reconcile one named venue's ``broker``; ``rounds`` gives the hedge round(s) under way (asked after
    the venue)."""
    report = VenueReport(name)
    try:
        resting = await broker.open_orders()
        held = await broker.positions()
    except BrokerError as exc:
        report.error = exc.code
        log.warning("reconciliation of venue %s: not reachable (%s)", name, exc)
        return report
    prefixes: set[str] = set()
    symbols: set[str] = set()
    for rnd in await rounds():
        p, s = round_knows(rnd, name)
        prefixes |= p
        symbols |= s
    known_ids = {o.client_id for o in await repo.live_orders(venue=name)}
    symbols |= {p.symbol for p in await repo.open_positions(venue=name)}
    for order in resting:
        cid = order.client_id
        if cid in known_ids or any(cid.startswith(p) for p in prefixes):
            continue
        if cid.startswith(OURS):
            try:
                await broker.cancel_order(cid, order.symbol)
                report.orphans_cancelled.append(cid)
            except BrokerError as exc:
                log.warning("venue %s: orphan %s not cancelled: %s", name, cid, exc)
        else:
            report.unknown_orders.append(f"{order.symbol} {cid}")
    report.unknown_positions = [p.symbol for p in held if p.qty > 0 and p.symbol not in symbols]
    if report.repaired:
        log.warning("reconciliation: %s", report.summary())
    return report
