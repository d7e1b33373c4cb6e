"""Colour themes for the charts (dark and light) and the colour/style of each level or marker kind."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Theme:
    name: str
    background: str
    panel: str
    text: str
    muted: str
    grid: str
    up: str  # rising candle / positive bar
    down: str  # falling candle / negative bar
    line: str  # equity line
    drawdown: str
    volume_alpha: float
    levels: dict[str, str] = field(default_factory=dict)
    fallback: str = "#9e9e9e"

    def level_colour(self, name: str) -> str:
        key = name.lower()
        if key in self.levels:
            return self.levels[key]
        if key.startswith("tp"):  # tp3, tp4, …
            return self.levels["tp2"]
        return self.fallback


DARK = Theme(
    name="dark",
    background="#131722",
    panel="#131722",
    text="#e0e3eb",
    muted="#9598a1",
    grid="#2a2e39",
    up="#26a69a",
    down="#ef5350",
    line="#42a5f5",
    drawdown="#ef5350",
    volume_alpha=0.55,
    levels={
        "entry": "#448aff",
        "stop": "#ff1744",
        "tp1": "#00e676",
        "tp2": "#18ffff",
        "breakeven": "#ffab00",
        "trailing": "#e040fb",
        "liquidation": "#d500f9",
    },
    fallback="#bdbdbd",
)

LIGHT = Theme(
    name="light",
    background="#ffffff",
    panel="#ffffff",
    text="#131722",
    muted="#5d606b",
    grid="#e0e3eb",
    up="#089981",
    down="#f23645",
    line="#1565c0",
    drawdown="#d32f2f",
    volume_alpha=0.45,
    levels={
        "entry": "#1565c0",
        "stop": "#d50000",
        "tp1": "#00a152",
        "tp2": "#00838f",
        "breakeven": "#ef6c00",
        "trailing": "#8e24aa",
        "liquidation": "#6a1b9a",
    },
    fallback="#616161",
)

_THEMES = {"dark": DARK, "light": LIGHT}

# line style per level kind: the entry is solid, exits dashed, breakeven dotted
LEVEL_STYLE = {"entry": "-", "stop": "--", "breakeven": ":", "trailing": "-."}

# marker shape per fill kind
MARKER_SHAPE = {"entry": "o", "stop": "X", "breakeven": "s", "trailing": "P", "liquidation": "X"}


def get_theme(name: str) -> Theme:
    """The theme called ``name`` ("dark" or "light", any case); ValueError for anything else."""
    try:
        return _THEMES[name.lower()]
    except (KeyError, AttributeError):
        raise ValueError(f"unknown chart theme {name!r}; expected one of {sorted(_THEMES)}") from None


def level_style(name: str) -> str:
    key = name.lower()
    return LEVEL_STYLE.get(key, "--")


def marker_shape(kind: str) -> str:
    key = kind.lower()
    if key.startswith("tp"):
        return "D"
    return MARKER_SHAPE.get(key, "o")
