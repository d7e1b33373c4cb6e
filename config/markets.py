"""Settings sections of the other markets: the cross-venue hedge (``SP_HEDGE__*``) and A-shares through
the QMT bridge (``SP_QMT__*``). Part of ``config.settings`` (re-exported there)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import NoDecode

CsvStr = Annotated[list[str], NoDecode]
_ASHARE = re.compile(r"^[0-9]{6}\.(SH|SZ)$")


def _split(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HedgeSettings(Section):
    short_venue: str = Field("aster", description="venue of the short leg (a name from SP_VENUES__<NAME>, or "
                                                  "default for SP_EXCHANGE)")
    long_venue: str = Field("backpack", description="venue of the long leg")
    size_usdt: Decimal = Field(Decimal("25"), gt=0, description="notional of each leg, in USDT")
    leverage: int = Field(1, ge=1, le=125, description="leverage of both legs (isolated margin)")
    stop_pct: Decimal = Field(Decimal("0.8"), gt=0, lt=100, description="a leg losing this much (%) is closed")
    take_pct: Decimal = Field(Decimal("1.2"), gt=0, lt=1000,
                              description="a leg gaining this much (%) gets a reduce-only limit at this "
                                          "distance from its entry")
    take_fallback: Literal["keep", "cancel"] = Field(
        "keep", description="when the price falls back below the take-profit trigger: keep the limit, or "
                            "cancel it (placed again at the next trigger)")
    monitor_seconds: float = Field(5.0, gt=0, description="seconds between checks of the legs (streamed "
                                                          "prices are checked as they come)")
    fill_timeout_s: float = Field(10.0, gt=0, description="an opening leg not filled within this many "
                                                          "seconds is given up and the other leg closed")
    max_hold_min: int = Field(240, ge=1, description="force-close a round after this many minutes")
    mode: Literal["single", "continuous"] = Field("single", description="one round, or rounds one after "
                                                                        "another")
    cooldown_s: int = Field(60, ge=0, description="continuous mode: seconds between two rounds")


class QmtSettings(Section):
    url: str | None = Field(None, description="exchange name qmt: the QMT bridge server, e.g. "
                                              "http://127.0.0.1:8000 (signalpilot qmt-server)")
    token: SecretStr | None = Field(None, description="exchange name qmt: the bridge's X-Token (never logged)")
    poll_seconds: float = Field(2.0, gt=0, description="seconds between polls of the bridge for fills")
    timeout_seconds: float = Field(10.0, gt=0, description="HTTP timeout of one bridge request")
    max_orders_per_min: int = Field(5, ge=1, description="A-share orders a minute the broker sends at most")
    stock_cap_pct: Decimal = Field(Decimal("10"), gt=0, le=100, description="one stock's value at most, as % "
                                                                            "of total assets")
    st_symbols: CsvStr = Field(default_factory=list, description="ST stocks (daily price limit ±5 %), "
                                                                 "e.g. 600001.SH,000004.SZ")

    _split_st = field_validator("st_symbols", mode="before")(_split)

    @field_validator("st_symbols")
    @classmethod
    def _check_st(cls, value: list[str]) -> list[str]:
        codes = [v.upper() for v in value]
        bad = [v for v in codes if not _ASHARE.match(v)]
        if bad:
            raise ValueError(f"{', '.join(bad)}: not an A-share code (use e.g. 600001.SH, 000004.SZ)")
        return codes
