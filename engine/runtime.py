"""Runtime-adjustable settings: validated, stored in the database, and once changed they override the environment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from config.settings import Settings
from engine.storage.repository import Repository

PREFIX = "setting:"


@dataclass(frozen=True)
class Spec:
    parse: Callable[[str], object]
    check: Callable[[object], bool]
    allowed: str  # shown to the user when a value is refused


def _int(text: str) -> int:
    return int(text.strip())


def _float(text: str) -> float:
    return float(text.strip().rstrip("%"))


def _dec(text: str) -> Decimal:
    try:
        value = Decimal(text.strip().rstrip("%"))
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return value


SPECS: dict[str, Spec] = {
    "execution_mode": Spec(lambda t: t.strip().lower(), lambda v: v in ("signal-only", "confirm", "auto"),
                           "signal-only, confirm, auto"),
    "min_score": Spec(_float, lambda v: 0 <= v <= 100, "0–100"),  # type: ignore[operator]
    "max_leverage": Spec(_int, lambda v: 1 <= v <= 125, "1–125"),  # type: ignore[operator]
    "risk_per_trade_pct": Spec(_dec, lambda v: Decimal("0.01") <= v <= 10, "0.01–10"),  # type: ignore[operator]
    "max_positions": Spec(_int, lambda v: 1 <= v <= 50, "1–50"),  # type: ignore[operator]
    "scan_interval_min": Spec(_int, lambda v: 1 <= v <= 1440, "1–1440"),  # type: ignore[operator]
    "chart_theme": Spec(lambda t: t.strip().lower(), lambda v: v in ("dark", "light"), "dark, light"),
}


class RuntimeSettings:
    """Current values: the environment's, overridden by what was stored."""

    def __init__(self, settings: Settings, repo: Repository) -> None:
        self._repo = repo
        self.values: dict[str, object] = {
            "execution_mode": settings.risk.execution_mode,
            "min_score": float(settings.scan.min_score),
            "max_leverage": settings.risk.max_leverage,
            "risk_per_trade_pct": settings.risk.risk_per_trade_pct,
            "max_positions": settings.risk.max_positions,
            "scan_interval_min": settings.scan.interval_min,
            "chart_theme": settings.telegram.theme,
        }
        # where each value comes from: "chat" (changed at run time, stored), "env" (the environment or
        # .env file), "default" (neither)
        origin = {"execution_mode": (settings.risk, "execution_mode"), "min_score": (settings.scan, "min_score"),
                  "max_leverage": (settings.risk, "max_leverage"),
                  "risk_per_trade_pct": (settings.risk, "risk_per_trade_pct"),
                  "max_positions": (settings.risk, "max_positions"), "scan_interval_min": (settings.scan, "interval_min"),
                  "chart_theme": (settings.telegram, "theme")}
        self.sources: dict[str, str] = {
            key: "env" if field in section.model_fields_set else "default" for key, (section, field) in origin.items()}

    async def load(self) -> None:
        for key, text in (await self._repo.kv_prefix(PREFIX)).items():
            name = key.removeprefix(PREFIX)
            if name in SPECS:
                try:
                    value = SPECS[name].parse(text)
                except ValueError:
                    continue
                if SPECS[name].check(value):
                    self.values[name] = value
                    self.sources[name] = "chat"

    def validate(self, key: str, text: str) -> object:
        """The parsed value; KeyError for an unknown key, ValueError for a bad value."""
        spec = SPECS[key]
        try:
            value = spec.parse(text)
        except (ValueError, TypeError):
            raise ValueError(spec.allowed) from None
        if not spec.check(value):
            raise ValueError(spec.allowed)
        return value

    async def set(self, key: str, value: object) -> None:
        await self._repo.kv_put(PREFIX + key, str(value))
        self.values[key] = value
        self.sources[key] = "chat"

    def as_text(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.values.items()}

    @property
    def execution_mode(self) -> str:
        return str(self.values["execution_mode"])

    @property
    def min_score(self) -> float:
        return float(self.values["min_score"])  # type: ignore[arg-type]

    @property
    def max_leverage(self) -> int:
        return int(self.values["max_leverage"])  # type: ignore[call-overload]

    @property
    def risk_per_trade_pct(self) -> Decimal:
        return Decimal(str(self.values["risk_per_trade_pct"]))

    @property
    def max_positions(self) -> int:
        return int(self.values["max_positions"])  # type: ignore[call-overload]

    @property
    def scan_interval_min(self) -> int:
        return int(self.values["scan_interval_min"])  # type: ignore[call-overload]
