"""Our client order ids as a value type: ``sp-<position id>-<leg>-<attempt>``, deterministic per
(position, leg, attempt), at most 36 characters. The one place that formats and parses them."""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "sp"
STOP_LEG = "sl"  # engine.domain.models.Leg.STOP (kept here: models imports this module)


@dataclass(frozen=True, slots=True)
class ClientOrderId:
    position_id: str
    leg: str  # en, sl, tp1, tp2, …, cl
    attempt: int

    def __str__(self) -> str:
        return f"{PREFIX}-{self.position_id}-{self.leg}-{self.attempt}"

    @classmethod
    def parse(cls, text: str) -> ClientOrderId | None:
        """The id's parts, or None when ``text`` is not one of ours (a liquidation, a foreign order)."""
        parts = text.split("-")
        if len(parts) != 4 or parts[0] != PREFIX or not parts[3].isdigit():
            return None
        return cls(parts[1], parts[2], int(parts[3]))

    @staticmethod
    def is_ours(text: str) -> bool:
        return ClientOrderId.parse(text) is not None

    @property
    def is_first_stop(self) -> bool:
        """The position's first stop (attempt 0); a later one is a moved stop (breakeven, trailing)."""
        return self.leg == STOP_LEG and self.attempt == 0
