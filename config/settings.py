"""Settings: environment (prefix ``SP_``, nested delimiter ``__``) and ``.env``; frozen once built.

Each component receives only its own section. Secrets are ``SecretStr`` and never printed.
A bad value raises ``SettingsError`` whose message names the variable and why;
``unknown_variables`` names the ``SP_`` variables that match no setting (with the closest one).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings import SettingsError as SourceError

PACKAGE_DIR = Path(__file__).resolve().parent.parent
SAMPLE_DATA_DIR = PACKAGE_DIR / "engine" / "market" / "sample"


def _split(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


CsvStr = Annotated[list[str], NoDecode]
CsvInt = Annotated[list[int], NoDecode]

_TIMEFRAME = re.compile(r"^[1-9][0-9]*[mhdw]$")


def check_timeframe(value: str) -> str:
    """``5m``, ``1h``, ``4h``, ``1d``, ``1w``: a positive number and a unit (m, h, d, w)."""
    if not _TIMEFRAME.match(value):
        raise ValueError(f"{value!r} is not a timeframe (use e.g. 5m, 15m, 1h, 4h, 1d)")
    return value


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MarketSettings(Section):
    source: Literal["replay", "live"] | None = None  # default: live once Telegram is connected, else replay
    replay_dir: Path = SAMPLE_DATA_DIR
    replay_warmup: int = Field(300, ge=0)
    replay_speed: float = Field(1.0, ge=0)
    base_timeframe: str = "5m"
    poll_seconds: float = Field(5.0, gt=0)

    _check_base = field_validator("base_timeframe")(check_timeframe)


class ScanSettings(Section):
    symbols: CsvStr = Field(default_factory=list)
    top_n: int = Field(20, ge=1, le=500)
    interval_min: int = Field(60, ge=1, le=1440)
    min_score: float = Field(75, ge=0, le=100)
    signal_ttl_min: int = Field(15, ge=1, le=1440)
    timeframes: CsvStr = Field(default_factory=lambda: ["15m", "1h", "4h"])
    candles: int = Field(500, ge=50, le=1500)

    _split_symbols = field_validator("symbols", "timeframes", mode="before")(_split)

    @field_validator("timeframes")
    @classmethod
    def _check_timeframes(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one timeframe is needed, e.g. 15m,1h,4h")
        return [check_timeframe(tf) for tf in value]


class RiskSettings(Section):
    execution_mode: Literal["signal-only", "confirm", "auto"] = "confirm"
    max_positions: int = Field(5, ge=1, le=100)
    max_leverage: int = Field(10, ge=1, le=125)
    max_notional: Decimal = Field(Decimal("0"), ge=0, description="0 = no cap")
    daily_loss_limit_pct: Decimal = Field(Decimal("5"), ge=0, le=100)
    max_drawdown_pct: Decimal = Field(Decimal("20"), ge=0, le=100)
    max_orders_per_min: int = Field(30, ge=1)
    sizing: Literal["fixed", "percent", "risk", "volatility", "kelly"] = "risk"
    risk_per_trade_pct: Decimal = Field(Decimal("1"), gt=0, le=100)
    fixed_notional: Decimal = Field(Decimal("100"), gt=0)
    percent_equity: Decimal = Field(Decimal("10"), gt=0, le=100)
    volatility_target_pct: Decimal = Field(Decimal("1"), gt=0, le=100)
    kelly_fraction: Decimal = Field(Decimal("0.25"), gt=0, le=1)
    kelly_win_rate: Decimal = Field(Decimal("0.5"), gt=0, lt=1)
    kelly_payoff: Decimal = Field(Decimal("2"), gt=0)


class PlanSettings(Section):
    stop_method: Literal["percent", "atr"] = "percent"
    stop_pct: Decimal = Field(Decimal("2"), gt=0, lt=100)
    atr_mult: Decimal = Field(Decimal("2"), gt=0)
    targets: CsvStr = Field(default_factory=lambda: ["4:0.5", "8:0.5"],
                            description="pct:share pairs, shares sum to 1")
    strong_score: float = Field(85, ge=0, le=100)
    strong_trend_adx: float = Field(30, ge=0)
    deep_liquidity_quote_volume: Decimal = Field(Decimal("50000000"), ge=0)
    high_volatility_atr_pct: float = Field(3.0, gt=0)
    liquidation_buffer_pct: Decimal = Field(Decimal("20"), ge=0, lt=100,
                                            description="stop stays this share inside the liquidation distance")
    min_leverage: int = Field(1, ge=1)
    trailing_pct: Decimal = Field(Decimal("0"), ge=0, lt=100, description="0 = off; trails after TP1")
    time_stop_hours: Decimal = Field(Decimal("0"), ge=0, description="0 = off")
    breakeven_buffer_pct: Decimal = Field(Decimal("0.05"), ge=0, lt=10)

    _split_targets = field_validator("targets", mode="before")(_split)

    @field_validator("targets")
    @classmethod
    def _check_targets(cls, value: list[str]) -> list[str]:
        parse_targets(value)
        return value

    def target_pairs(self) -> list[tuple[Decimal, Decimal]]:
        return parse_targets(self.targets)


def parse_targets(items: list[str]) -> list[tuple[Decimal, Decimal]]:
    if not items:
        raise ValueError("at least one target is needed, e.g. 4:0.5,8:0.5")
    pairs: list[tuple[Decimal, Decimal]] = []
    for item in items:
        try:
            pct_text, share_text = item.split(":")
            pct, share = Decimal(pct_text), Decimal(share_text)
        except Exception:
            raise ValueError(f"target {item!r} is not pct:share, e.g. 4:0.5") from None
        if pct <= 0 or not (0 < share <= 1):
            raise ValueError(f"target {item!r}: pct must be > 0 and share in (0, 1]")
        pairs.append((pct, share))
    if sum(s for _, s in pairs) != 1:
        raise ValueError("target shares must sum to 1")
    if [p for p, _ in pairs] != sorted(p for p, _ in pairs):
        raise ValueError("targets must be in increasing distance")
    return pairs


class BrokerSettings(Section):
    paper_balance: Decimal | None = Field(None, gt=0, description="default: 10000 in USD quotes, 1 BTC, 10 ETH")
    taker_fee: Decimal = Field(Decimal("0.0004"), ge=0, lt=Decimal("0.1"))
    maker_fee: Decimal = Field(Decimal("0.0002"), ge=0, lt=Decimal("0.1"))
    slippage_pct: Decimal = Field(Decimal("0.02"), ge=0, lt=10)
    maintenance_margin_pct: Decimal = Field(Decimal("0.5"), ge=0, lt=50)


def default_paper_balance(currency: str) -> Decimal:
    return {"BTC": Decimal("1"), "ETH": Decimal("10")}.get(currency.upper(), Decimal("10000"))


class TelegramSettings(Section):
    token: SecretStr | None = None
    api_base: str = "https://api.telegram.org"
    admins: CsvInt = Field(default_factory=list)
    users: CsvInt = Field(default_factory=list)
    chat_id: int | None = None
    max_drift_pct: Decimal = Field(Decimal("0.5"), ge=0)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "0.0.0.0"
    webhook_port: int = Field(8080, ge=1, le=65535)
    theme: Literal["dark", "light"] = "dark"
    default_lang: Literal["en", "zh"] = "en"

    _split_ids = field_validator("admins", "users", mode="before")(_split)

    @field_validator("token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        head, _, tail = value.get_secret_value().partition(":")
        if not head.isdigit() or not tail:
            raise ValueError("does not look like a bot token (123456:ABC…)")
        return value


class ExchangeSettings(Section):
    name: str = "binanceusdm"
    api_key: SecretStr | None = None
    api_secret: SecretStr | None = None
    testnet: bool = False
    base_url: str | None = None
    reconcile_min: int = Field(5, ge=1)


class DatabaseSettings(Section):
    url: str | None = None  # default depends on the mode: data/paper.db or data/live.db


class Settings(BaseSettings):
    """Every setting of SignalPilot; see config/example.env for the list with meanings."""

    model_config = SettingsConfigDict(env_prefix="SP_", env_nested_delimiter="__", env_file=".env",
                                      env_file_encoding="utf-8", extra="ignore", frozen=True,
                                      env_ignore_empty=True)

    mode: Literal["paper", "live"] = "paper"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    market: MarketSettings = MarketSettings()
    scan: ScanSettings = ScanSettings()
    risk: RiskSettings = RiskSettings()
    plan: PlanSettings = PlanSettings()
    broker: BrokerSettings = BrokerSettings()
    telegram: TelegramSettings = TelegramSettings()
    exchange: ExchangeSettings = ExchangeSettings()
    database: DatabaseSettings = DatabaseSettings()

    @model_validator(mode="after")
    def _live_needs_keys(self) -> Settings:
        if self.market.source is None:
            # paper on live public data once Telegram is connected; the bundled replay otherwise
            source = "live" if self.telegram.token is not None or self.mode == "live" else "replay"
            object.__setattr__(self, "market", self.market.model_copy(update={"source": source}))
        if self.mode == "live" and (self.exchange.api_key is None or self.exchange.api_secret is None):
            raise ValueError("live mode needs SP_EXCHANGE__API_KEY and SP_EXCHANGE__API_SECRET")
        return self

    @property
    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite+aiosqlite:///data/{self.mode}.db"

    @property
    def paper(self) -> bool:
        return self.mode == "paper"


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it (``SP_...``) and says why."""


def _env_name(loc: tuple[object, ...]) -> str:
    parts = [str(p) for p in loc if not isinstance(p, int)]
    return "SP_" + "__".join(p.upper() for p in parts) if parts else "settings"


_SOURCE_FIELD = re.compile(r'field "([^"]+)"')


def load_settings(**overrides: object) -> Settings:
    """Build Settings from env and .env; raise SettingsError with readable messages."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = _env_name(tuple(err.get("loc", ())))
            msg = err.get("msg", "invalid").removeprefix("Value error, ")
            if err.get("type") == "extra_forbidden":  # SP_<SECTION>__<typo>
                lines += unknown_variable_lines(unknown_variables({name: ""}, None), ignored=False)
                continue
            lines.append(f"{name}: {msg}")
        raise SettingsError("invalid settings:\n  " + "\n  ".join(lines)) from None
    except SourceError as exc:  # a section given as malformed JSON, e.g. SP_MARKET='{bad'
        found = _SOURCE_FIELD.search(str(exc))
        name = "SP_" + found.group(1).upper() if found else "an SP_ variable"
        raise SettingsError(f"invalid settings:\n  {name}: not valid JSON; set one value at a time "
                            f"instead, e.g. {name}__<NAME>=value (see config/example.env)") from None


# --- unknown variables -----------------------------------------------------------------------------
RESERVED_PREFIXES = ("SP_TEST_",)  # used by the test suite, not by the bot


def setting_names(model: type[BaseModel] = Settings, prefix: str = "SP_") -> list[str]:
    """Every variable name the Settings model reads: ``SP_MODE``, ``SP_MARKET`` (a section as JSON),
    ``SP_MARKET__SOURCE``, …"""
    names = []
    for name, field in model.model_fields.items():
        ann = field.annotation
        names.append(f"{prefix}{name.upper()}")
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            names += setting_names(ann, f"{prefix}{name.upper()}__")
    return names


def unknown_variables(environ: Mapping[str, str | None] | None = None,
                      env_file: str | os.PathLike[str] | None = ".env") -> list[tuple[str, str | None]]:
    """``(name, closest valid name or None)`` for each ``SP_`` variable (environment and ``env_file``)
    that no setting reads: such a variable is otherwise silently ignored."""
    from dotenv import dotenv_values

    seen: dict[str, None] = {}
    for key in (os.environ if environ is None else environ):
        seen[key] = None
    if env_file is not None and Path(env_file).is_file():
        for key in dotenv_values(env_file):
            seen[key] = None
    valid = setting_names()
    unknown = []
    for key in seen:
        upper = key.upper()
        if not upper.startswith("SP_") or upper in valid or upper.startswith(RESERVED_PREFIXES):
            continue
        close = difflib.get_close_matches(upper, valid, n=1, cutoff=0.75)
        unknown.append((key, close[0] if close else None))
    return unknown


def unknown_variable_lines(unknown: list[tuple[str, str | None]], *, ignored: bool = True) -> list[str]:
    what = " is not a SignalPilot setting" + (" and is ignored" if ignored else "")
    return [name + what + (f": did you mean {close}?" if close else " (see config/example.env)")
            for name, close in unknown]
