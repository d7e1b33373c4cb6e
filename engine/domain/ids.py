"""Our client order ids as a value type: ``sp-<position id>-<leg>-<attempt>``, deterministic per
(position, leg, attempt), at most 36 characters; a slice of an execution algorithm (TWAP, iceberg:
engine.execution) adds its index: ``sp-<position id>-<leg>-<attempt>-<index>`` (``attempt``: which
run of the algorithm on that leg). The one place that formats and parses them."""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "sp"
STOP_LEG = "sl"  # engine.domain.models.Leg.STOP (kept here: models imports this module)


@dataclass(frozen=True, slots=True)
class ClientOrderId:
    position_id: str
    leg: str  # en, sl, tp1, tp2, …, cl; te, tx, ie, ix: slices of an algorithm
    attempt: int
    index: int | None = None  # the slice's number inside its algorithm run (None: not a slice)

    def __str__(self) -> str:
        base = f"{PREFIX}-{self.position_id}-{self.leg}-{self.attempt}"
        return base if self.index is None else f"{base}-{self.index}"

    @classmethod
    def parse(cls, text: str) -> ClientOrderId | None:
        """The id's parts, or None when ``text`` is not one of ours (a liquidation, a foreign order)."""
        parts = text.split("-")
        if len(parts) not in (4, 5) or parts[0] != PREFIX or not all(p.isdigit() for p in parts[3:]):
            return None
        index = int(parts[4]) if len(parts) == 5 else None
        return cls(parts[1], parts[2], int(parts[3]), index)

    @staticmethod
    def is_ours(text: str) -> bool:
        return ClientOrderId.parse(text) is not None

    @property
    def is_first_stop(self) -> bool:
        """The position's first stop (attempt 0); a later one is a moved stop (breakeven, trailing)."""
        return self.leg == STOP_LEG and self.attempt == 0

    @property
    def is_slice(self) -> bool:
        return self.index is not None
