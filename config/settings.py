"""Settings: environment (prefix ``SP_``, nested delimiter ``__``) and ``.env``; frozen once built.

Each component receives only its own section. Secrets are ``SecretStr`` and never printed.
A bad value raises ``SettingsError`` whose message names the variable and why;
``unknown_variables`` names the ``SP_`` variables that match no setting (with the closest one).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
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

from config.markets import HedgeSettings, QmtSettings
from config.outside import AlertSettings, BackupSettings, HooksSettings, HttpSettings
from config.pairs import parse_scale_in, parse_targets

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
    source: Literal["replay", "live"] | None = Field(
        None, description="replay (CSV candles) or live (exchange data through ccxt); empty = live once a "
                          "Telegram token is set (or in live mode), else replay")
    replay_dir: Path = Field(SAMPLE_DATA_DIR, description="directory of {BASE}_{QUOTE}-{tf}.csv files; "
                                                          "default: the bundled sample (engine/market/sample)")
    replay_warmup: int = Field(300, ge=0, description="base candles of history before the replay starts")
    replay_speed: float = Field(1.0, ge=0, description="base candles per second; 0 = as fast as possible "
                                                       "(the console demo uses 200 unless this is set)")
    replay_from: datetime | None = Field(None, description="replay from this time (UTC, e.g. 2018-01-15); "
                                                           "empty = after the warmup")
    replay_to: datetime | None = Field(None, description="replay up to this time (UTC); empty = to the end "
                                                         "of the data")
    base_timeframe: str = Field("5m", description="timeframe of the replayed files")
    poll_seconds: float = Field(5.0, gt=0, description="live data: REST polling interval while a stream is down")

    @field_validator("replay_from", "replay_to")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value

    _check_base = field_validator("base_timeframe")(check_timeframe)


class ScanSettings(Section):
    symbols: CsvStr = Field(default_factory=list, description="symbols to scan, e.g. ETH/BTC,LTC/BTC; "
                                                              "empty = top N by quote volume")
    top_n: int = Field(20, ge=1, le=500, description="universe size when no symbols are given")
    interval_min: int = Field(60, ge=1, le=1440,
                              description="minutes between scans (runtime-adjustable in /settings)")
    min_score: float = Field(75, ge=0, le=100, description="signals at or above this score (0-100) are "
                                                           "raised (runtime-adjustable)")
    signal_ttl_min: int = Field(15, ge=1, le=1440, description="a signal not confirmed within this many "
                                                               "minutes (wall-clock) expires")
    timeframes: CsvStr = Field(default_factory=lambda: ["15m", "1h", "4h"],
                               description="timeframes of the multi-timeframe score")
    candles: int = Field(500, ge=50, le=1500, description="candles per timeframe fed to the indicators")

    _split_symbols = field_validator("symbols", "timeframes", mode="before")(_split)

    @field_validator("timeframes")
    @classmethod
    def _check_timeframes(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("at least one timeframe is needed, e.g. 15m,1h,4h")
        return [check_timeframe(tf) for tf in value]


class RiskSettings(Section):
    execution_mode: Literal["signal-only", "confirm", "auto"] = Field(
        "confirm", description="signal-only (cards only), confirm (Confirm/Cancel buttons), auto (execute at "
                               "the minimum score); runtime-adjustable; the console demo uses auto "
                               "unless this is set")
    max_positions: int = Field(5, ge=1, le=100, description="concurrent open positions (runtime-adjustable)")
    max_leverage: int = Field(10, ge=1, le=125, description="leverage cap (runtime-adjustable)")
    max_notional: Decimal = Field(Decimal("0"), ge=0, description="cap on one position's notional, in the "
                                                                  "quote currency; 0 = no cap")
    daily_loss_limit_pct: Decimal = Field(Decimal("5"), ge=0, le=100,
                                          description="realized loss in a UTC day (% of the day's starting "
                                                      "equity) that pauses entries until midnight")
    max_drawdown_pct: Decimal = Field(Decimal("20"), ge=0, le=100,
                                      description="drawdown from the equity peak (%) that pauses entries")
    max_orders_per_min: int = Field(30, ge=1, description="orders per minute before new entries are refused")
    sizing: Literal["fixed", "percent", "risk", "volatility", "kelly"] = Field(
        "risk", description="position sizing: fixed, percent, risk, volatility or kelly")
    risk_per_trade_pct: Decimal = Field(Decimal("1"), gt=0, le=100, description="sizing=risk: equity % lost "
                                                                                "if the stop is hit (runtime-adjustable)")
    fixed_notional: Decimal = Field(Decimal("100"), gt=0, description="sizing=fixed: notional per trade")
    percent_equity: Decimal = Field(Decimal("10"), gt=0, le=100, description="sizing=percent: margin as % "
                                                                             "of equity")
    volatility_target_pct: Decimal = Field(Decimal("1"), gt=0, le=100,
                                           description="sizing=volatility: equity % that one ATR move may cost")
    kelly_fraction: Decimal = Field(Decimal("0.25"), gt=0, le=1, description="sizing=kelly: fraction of the "
                                                                             "Kelly bet")
    kelly_win_rate: Decimal = Field(Decimal("0.5"), gt=0, lt=1, description="sizing=kelly: assumed win rate")
    kelly_payoff: Decimal = Field(Decimal("2"), gt=0, description="sizing=kelly: assumed average win / "
                                                                  "average loss")
    entry_order: Literal["market", "limit"] = Field("market", description="entry order type: market, or "
                                                     "limit at the planned entry price")
    entry_timeout_min: float = Field(15.0, gt=0, description="entry_order=limit: minutes before the unfilled "
                                     "rest is cancelled (nothing filled: the signal ends as not filled)")
    entry_min_fill_pct: Decimal = Field(Decimal("90"), gt=0, le=100, description="entry_order=limit: once this "
                                        "% has filled the rest is cancelled and the position managed at once")
    scale_in: CsvStr = Field(default_factory=list, description="entry in parts as offset%:share pairs, e.g. "
                             "0:0.3,1:0.35,2:0.35 (30 % now, the rest resting 1 % and 2 % toward the stop); "
                             "empty = one part")
    algo_above_notional: Decimal = Field(Decimal("0"), ge=0, description="entries with a notional above this "
                                         "(quote currency) are executed by algo_kind (TWAP or iceberg) instead of "
                                         "one order; 0 = never")
    algo_kind: Literal["twap", "iceberg"] = Field("twap", description="the algorithm of algo_above_notional: twap "
                                                  "(slices at even times) or iceberg (a visible part refilled)")
    twap_minutes: Decimal = Field(Decimal("30"), gt=0, le=1440, description="TWAP: the duration the slices are "
                                  "spread over (minutes)")
    twap_slices: int = Field(10, ge=1, le=100, description="TWAP: how many slices (market orders)")
    twap_jitter_pct: Decimal = Field(Decimal("0"), ge=0, le=45, description="TWAP: each slice's time moved by "
                                     "up to ± this % of the interval (seeded by the position: restarts agree)")
    twap_limit_pct: Decimal = Field(Decimal("0"), ge=0, le=10, description="TWAP: 0 = market slices; else each "
                                    "slice is a limit this % beyond the price (marketable), its unfilled rest "
                                    "cancelled when the next slice goes and carried into the last one")
    iceberg_visible_pct: Decimal = Field(Decimal("10"), gt=0, le=100, description="iceberg: the shown part, % "
                                         "of the order, refilled as it fills")
    iceberg_minutes: Decimal = Field(Decimal("60"), gt=0, le=10080, description="iceberg: minutes before the "
                                     "unfilled rest is cancelled (what filled stays managed)")
    twap_button: bool = Field(False, description="signal cards get an \"Execute as TWAP\" button (over "
                              "twap_minutes in twap_slices)")
    max_exposure_pct: Decimal = Field(Decimal("0"), ge=0, description="total notional of open positions "
                                      "(at entry price, the new entry included) as % of equity; an entry is "
                                      "made smaller to fit, refused when nothing fits; 0 = no cap")
    max_coin_exposure_pct: Decimal = Field(Decimal("0"), ge=0, description="notional per base coin (all its "
                                           "markets) as % of equity, same rule; 0 = no cap")
    max_correlation: float = Field(0.0, ge=0, le=1, description="refuse an entry whose hourly returns over "
                                   "correlation_days correlate above this with an open position's; 0 = off")
    correlation_days: int = Field(7, ge=1, le=60, description="days of cached hourly candles the correlation "
                                  "cap looks at")
    max_loss_pct: Decimal = Field(Decimal("0"), ge=0, le=100, description="close a position at market when "
                                  "its loss reaches this % of equity, stop order or not; 0 = off")
    loss_streak: int = Field(0, ge=0, description="after this many losing trades in a row, size and leverage "
                              "are reduced until recovery_wins winning trades; 0 = off")
    drawdown_step_pct: Decimal = Field(Decimal("0"), ge=0, le=100, description="each full step of drawdown "
                                       "from the equity peak (%) reduces size and leverage once more, until "
                                       "equity is back above the step; 0 = off")
    reduce_factor: Decimal = Field(Decimal("0.5"), gt=0, le=1, description="size and leverage are multiplied "
                                   "by this for each reduction (loss streak, drawdown step)")
    recovery_wins: int = Field(2, ge=1, description="winning trades in a row that lift a loss-streak reduction")

    _split_scale_in = field_validator("scale_in", mode="before")(_split)

    @field_validator("scale_in")
    @classmethod
    def _check_scale_in(cls, value: list[str]) -> list[str]:
        parse_scale_in(value)
        return value


class PlanSettings(Section):
    stop_method: Literal["percent", "atr"] = Field("percent", description="stop distance: percent or atr")
    stop_pct: Decimal = Field(Decimal("2"), gt=0, lt=100, description="base stop distance, % of entry")
    atr_mult: Decimal = Field(Decimal("2"), gt=0, description="stop_method=atr: stop distance in ATRs")
    targets: CsvStr = Field(default_factory=lambda: ["4:0.5", "8:0.5"],
                            description="take-profits as distance%:share pairs (shares sum to 1)")
    strong_score: float = Field(85, ge=0, le=100, description="from this score: stop 20% tighter, targets "
                                                              "30% farther")
    strong_trend_adx: float = Field(30, ge=0, description="from this ADX: targets 20% farther")
    deep_liquidity_quote_volume: Decimal = Field(Decimal("50000000"), ge=0,
                                                 description="from this 24h quote volume: stop 10% tighter")
    high_volatility_atr_pct: float = Field(3.0, gt=0, description="from this ATR%: stop 50% wider")
    liquidation_buffer_pct: Decimal = Field(Decimal("20"), ge=0, lt=100,
                                            description="the stop stays this share (%) inside the "
                                                        "liquidation distance")
    min_leverage: int = Field(1, ge=1, description="leverage at the minimum score (rises with the score to "
                                                   "the cap)")
    trailing_pct: Decimal = Field(Decimal("0"), ge=0, lt=100, description="trailing stop distance (%) after "
                                                                          "TP1; 0 = off")
    profit_trailing: bool = Field(False, description="trailing stop that starts at a profit "
                                  "(trail_activation_pct), independent of TP1")
    trail_activation_pct: Decimal = Field(Decimal("1"), gt=0, lt=100, description="profit_trailing: profit "
                                          "(% of entry, best price so far) from which the stop trails")
    trail_distance_pct: Decimal = Field(Decimal("2"), gt=0, lt=100, description="profit_trailing: distance "
                                        "(%) of the trailing stop behind the best price")
    time_stop_hours: Decimal = Field(Decimal("0"), ge=0, description="close a position after this many "
                                                                     "hours; 0 = off")
    breakeven_buffer_pct: Decimal = Field(Decimal("0.05"), ge=0, lt=10,
                                          description="breakeven stop = entry adjusted for fees plus this "
                                                      "buffer (%)")

    _split_targets = field_validator("targets", mode="before")(_split)

    @field_validator("targets")
    @classmethod
    def _check_targets(cls, value: list[str]) -> list[str]:
        parse_targets(value)
        return value

    def target_pairs(self) -> list[tuple[Decimal, Decimal]]:
        return parse_targets(self.targets)


class BrokerSettings(Section):
    paper_balance: Decimal | None = Field(None, gt=0, description="paper starting balance; empty = 10000 "
                                                                  "(USD quotes), 1 (BTC quotes), 10 (ETH quotes), 1000000 (A-shares, CNY)")
    taker_fee: Decimal = Field(Decimal("0.0004"), ge=0, lt=Decimal("0.1"), description="taker fee rate "
                                                                                        "(0.0004 = 0.04 %)")
    maker_fee: Decimal = Field(Decimal("0.0002"), ge=0, lt=Decimal("0.1"), description="maker fee rate "
                                                                                        "(0.0002 = 0.02 %)")
    slippage_pct: Decimal = Field(Decimal("0.02"), ge=0, lt=10, description="slippage on market and stop "
                                                                            "fills (%)")
    maintenance_margin_pct: Decimal = Field(Decimal("0.5"), ge=0, lt=50,
                                            description="maintenance margin (%) for the liquidation price")


def default_paper_balance(currency: str) -> Decimal:
    return {"BTC": Decimal("1"), "ETH": Decimal("10"), "CNY": Decimal("1000000")}.get(currency.upper(), Decimal("10000"))


class TelegramSettings(Section):
    token: SecretStr | None = Field(None, description="bot token from @BotFather; empty = console only "
                                                      "(never logged)")
    api_base: str = Field("https://api.telegram.org", description="Bot API base URL (a self-hosted Bot "
                                                                   "API server)")
    admins: CsvInt = Field(default_factory=list, description="user ids who may trade and change settings, "
                                                             "comma-separated (send /start to the bot to "
                                                             "see yours)")
    users: CsvInt = Field(default_factory=list, description="user ids who may read, comma-separated")
    chat_id: int | None = Field(None, description="where cards and alerts go; empty = each admin's "
                                                  "private chat")
    max_drift_pct: Decimal = Field(Decimal("0.5"), ge=0, description="price drift (%) since the card "
                                                                     "beyond which Confirm asks again")
    webhook_url: str | None = Field(None, description="public HTTPS URL for webhook mode; empty = long "
                                                      "polling")
    webhook_secret: SecretStr | None = Field(None, description="secret token Telegram sends with webhook "
                                                               "updates")
    webhook_host: str = Field("0.0.0.0", description="webhook listen address")
    webhook_port: int = Field(8080, ge=1, le=65535, description="webhook listen port")
    theme: Literal["dark", "light"] = Field("dark", description="chart theme: dark or light (runtime-adjustable)")
    default_lang: Literal["en", "zh"] = Field("en", description="en or zh, for users whose Telegram "
                                                                "language is neither")
    alert_max_age_h: float = Field(24.0, gt=0, description="alerts older than this (hours) when Telegram is "
                                                           "back are folded into one summary")

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
    name: str = Field("binanceusdm", description="ccxt exchange id")
    api_key: SecretStr | None = Field(None, description="live trading key (never logged)")
    api_secret: SecretStr | None = Field(None, description="live trading secret (never logged)")
    testnet: bool = Field(False, description="use the venue's testnet")
    base_url: str | None = Field(None, description="replaces the venue's REST and websocket host "
                                                   "(gateways, tests)")
    private_key: SecretStr | None = Field(None, description="wallet private key that signs requests on venues "
                                                            "that sign with a wallet (aster: the API wallet's "
                                                            "key; never logged)")
    wallet: str | None = Field(None, pattern=r"^0x[0-9a-fA-F]{40}$",
                               description="the account's wallet address on a wallet-signed venue (aster); "
                                           "empty = the address of the private key")
    reconcile_min: int = Field(5, ge=1, description="minutes between reconciliations with the exchange")


class VenueSettings(Section):
    """One named venue (``SP_VENUES__<NAME>__...``); the ``SP_EXCHANGE__...`` settings are the default venue."""

    exchange: str | None = Field(None, description="ccxt exchange id of this venue (e.g. aster, backpack); "
                                                   "empty = the venue's name")
    api_key: SecretStr | None = Field(None, description="this venue's trading key (never logged)")
    api_secret: SecretStr | None = Field(None, description="this venue's trading secret (never logged)")
    testnet: bool = Field(False, description="use this venue's testnet")
    base_url: str | None = Field(None, description="replaces this venue's REST and websocket host "
                                                   "(gateways, tests)")
    private_key: SecretStr | None = Field(None, description="this venue's wallet private key, on venues that "
                                                            "sign with a wallet (aster: the API wallet's key; "
                                                            "never logged)")
    wallet: str | None = Field(None, pattern=r"^0x[0-9a-fA-F]{40}$",
                               description="this venue's account wallet address (aster); empty = the address "
                                           "of the private key")

    def as_exchange(self, name: str) -> ExchangeSettings:
        """The same venue in the shape of the default venue's section."""
        return ExchangeSettings(name=self.exchange or name, api_key=self.api_key, api_secret=self.api_secret,
                                testnet=self.testnet, base_url=self.base_url, private_key=self.private_key,
                                wallet=self.wallet)


class DatabaseSettings(Section):
    url: str | None = Field(None, description="empty = sqlite+aiosqlite:///data/paper.db (paper) or "
                                              "data/live.db (live); PostgreSQL: "
                                              "postgresql+asyncpg://user:password@host/db")


class Settings(BaseSettings):
    """Every setting of SignalPilot; see config/example.env for the list with meanings."""

    model_config = SettingsConfigDict(env_prefix="SP_", env_nested_delimiter="__", env_file=".env",
                                      env_file_encoding="utf-8", extra="ignore", frozen=True,
                                      env_ignore_empty=True)

    mode: Literal["paper", "live"] = Field("paper", description="paper (simulated broker, default) or live "
                                                                "(real orders through ccxt)")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="DEBUG, INFO, WARNING or ERROR; the console demo uses WARNING unless this is set")
    market: MarketSettings = MarketSettings()
    scan: ScanSettings = ScanSettings()
    risk: RiskSettings = RiskSettings()
    plan: PlanSettings = PlanSettings()
    broker: BrokerSettings = BrokerSettings()
    telegram: TelegramSettings = TelegramSettings()
    exchange: ExchangeSettings = ExchangeSettings()
    qmt: QmtSettings = QmtSettings()
    database: DatabaseSettings = DatabaseSettings()
    http: HttpSettings = HttpSettings()
    hooks: HooksSettings = HooksSettings()
    alerts: AlertSettings = AlertSettings()
    backup: BackupSettings = BackupSettings()
    venues: dict[str, VenueSettings] = Field(default_factory=dict,
                                             description="named venues: SP_VENUES__<NAME>__EXCHANGE, ..._API_KEY, "
                                                         "..._API_SECRET, ..._BASE_URL, ..._TESTNET")
    hedge: HedgeSettings = HedgeSettings()

    @model_validator(mode="after")
    def _live_needs_keys(self) -> Settings:
        if self.market.source is None:
            # paper on live public data once Telegram is connected; the bundled replay otherwise
            source = "live" if self.telegram.token is not None or self.mode == "live" else "replay"
            object.__setattr__(self, "market", self.market.model_copy(update={"source": source}))
        if self.mode == "live" and self.exchange.name == "qmt":
            if not self.qmt.url or self.qmt.token is None:
                raise ValueError("live mode with SP_EXCHANGE__NAME=qmt needs SP_QMT__URL and SP_QMT__TOKEN")
        elif self.mode == "live" and (self.exchange.api_key is None or self.exchange.api_secret is None) \
                and self.exchange.private_key is None:
            raise ValueError("live mode needs SP_EXCHANGE__API_KEY and SP_EXCHANGE__API_SECRET "
                             "(or SP_EXCHANGE__PRIVATE_KEY on a wallet-signed venue such as aster)")
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
                from config.variables import unknown_variable_lines, unknown_variables

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
