"""Execution algorithms' state: a TWAP or an iceberg run for one leg of a position (its entry, or an
exit), persisted with the slice orders it sends (one unit of work), so that a restart resumes it
where it was. The slices' client ids are ``ClientOrderId(position, leg, attempt, index)``.

- TWAP: ``total`` in ``slices`` orders at even times over ``duration_s`` from ``start``, each
  moved by a jitter of at most ± ``jitter_pct`` % of the interval, drawn from ``seed`` (derived
  from the position id: tests and restarts agree on the times). Slice 0 goes at ``start``. Each
  slice is a market order, or with ``limit_pct`` a marketable limit that far beyond the price.
- Iceberg: one visible order of ``visible`` (a limit at ``price``) at a time, refilled once it has
  filled, until ``total`` is done, the deadline ``start + duration_s`` passes or it is cancelled.

``sent`` is how many slices are persisted (the next slice's index); progress (slices filled,
quantity, average price) is read from the slice orders themselves (``progress``).
"""

from __future__ import annotations

import enum
import hashlib
import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from engine.domain.ids import ClientOrderId
from engine.domain.models import ALGO_ENTRY_LEGS, Leg, Order, OrderStatus
from engine.domain.values import ZERO

MAX_JITTER_PCT = Decimal(45)  # below half the interval: the slices keep their order


class AlgoKind(enum.StrEnum):
    TWAP = "twap"
    ICEBERG = "iceberg"


class AlgoStatus(enum.StrEnum):
    RUNNING = "running"
    DONE = "done"  # every slice sent and settled
    STOPPED = "stopped"  # the stop price was reached: what filled is managed, the stop logic takes over
    CANCELLED = "cancelled"  # the position closed or failed meanwhile, or the iceberg's deadline passed

    @property
    def is_final(self) -> bool:
        return self is not AlgoStatus.RUNNING


LEGS = {(AlgoKind.TWAP, True): Leg.TWAP_ENTRY.value, (AlgoKind.TWAP, False): Leg.TWAP_EXIT.value,
        (AlgoKind.ICEBERG, True): Leg.ICEBERG_ENTRY.value, (AlgoKind.ICEBERG, False): Leg.ICEBERG_EXIT.value}


@dataclass(frozen=True, slots=True)
class Algo:
    position_id: str
    leg: str  # te, tx (TWAP entry, exit), ie, ix (iceberg)
    attempt: int  # which run on that leg (an exit may run more than once)
    kind: AlgoKind
    total: Decimal
    start: datetime
    duration_s: int
    slices: int = 0  # TWAP: how many; iceberg: as many as ``total / visible`` (for the progress line)
    visible: Decimal = ZERO  # iceberg: the shown quantity
    price: Decimal | None = None  # iceberg: the limit price
    jitter_pct: Decimal = ZERO
    limit_pct: Decimal = ZERO  # TWAP: 0 = market slices; else marketable limits this % beyond the price
    seed: int = 0
    sent: int = 0
    reported: int = 0  # slices filled when progress was last told
    status: AlgoStatus = AlgoStatus.RUNNING

    @property
    def id(self) -> str:
        return f"{self.position_id}-{self.leg}-{self.attempt}"

    @property
    def entry(self) -> bool:
        return self.leg in ALGO_ENTRY_LEGS


def seed_of(position_id: str, leg: str, attempt: int) -> int:
    """The jitter's seed: the same for a position's run in every process (no ``hash()``: salted)."""
    return int.from_bytes(hashlib.sha256(f"{position_id}:{leg}:{attempt}".encode()).digest()[:8], "big")


def slice_time(algo: Algo, index: int) -> datetime:
    """When TWAP slice ``index`` is due: even times, each moved by its seeded jitter (slice 0: at start)."""
    interval = algo.duration_s / max(1, algo.slices)
    at = algo.start + timedelta(seconds=interval * index)
    if index == 0 or algo.jitter_pct <= 0:
        return at
    share = float(min(algo.jitter_pct, MAX_JITTER_PCT)) / 100
    shift = random.Random(algo.seed * 1_000_003 + index).uniform(-share, share) * interval  # noqa: S311 - not a secret
    return at + timedelta(seconds=shift)


def is_slice_of(algo: Algo, order: Order) -> bool:
    parsed = ClientOrderId.parse(order.client_id)
    return (parsed is not None and parsed.index is not None and parsed.position_id == algo.position_id
            and parsed.leg == algo.leg and parsed.attempt == algo.attempt)


@dataclass(frozen=True, slots=True)
class Progress:
    done: int  # slices completely filled
    filled: Decimal
    avg_price: Decimal | None
    working: tuple[Order, ...]  # slices not final
    rejected: int = 0  # slices the venue refused


def progress(algo: Algo, orders: list[Order] | tuple[Order, ...]) -> Progress:
    mine = [o for o in orders if is_slice_of(algo, o)]
    filled = sum((o.filled_qty for o in mine), ZERO)
    cost = sum(((o.avg_price or ZERO) * o.filled_qty for o in mine), ZERO)
    return Progress(done=sum(1 for o in mine if o.status is OrderStatus.FILLED), filled=filled,
                    avg_price=cost / filled if filled > 0 else None,
                    working=tuple(o for o in mine if not o.status.is_final),
                    rejected=sum(1 for o in mine if o.status is OrderStatus.REJECTED))


def ended_with(held: list[Algo], changed: tuple[Algo, ...], orders: tuple[Order, ...] = ()) -> tuple[Algo, ...]:
    """A position is over: its runs still going (``held``, not in ``changed``) end with it — done when
    one of their slices is among ``orders`` (the step's: an exit run's last slice closed it), else cancelled."""
    ids = {a.id for a in changed}
    return tuple(replace(a, status=AlgoStatus.DONE if any(is_slice_of(a, o) for o in orders) else AlgoStatus.CANCELLED)
                 for a in held if not a.status.is_final and a.id not in ids)
