"""Settings: environment (prefix ``SP_``, nested delimiter ``__``) and ``.env``; frozen once built.

Each component receives only its own section. The sections are defined here (connections: Telegram,
exchange, named venues, database) and in ``config.trading``, ``config.markets`` and ``config.outside``;
``config.sections`` holds what they share; every name is importable from here.
Secrets are ``SecretStr`` and never printed.
A bad value raises ``SettingsError`` whose message names the variable and why;
``unknown_variables`` names the ``SP_`` variables that match no setting (with the closest one).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Literal

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings import SettingsError as SourceError

from config.markets import HedgeSettings, QmtSettings
from config.outside import AlertSettings, BackupSettings, HooksSettings, HttpSettings
from config.sections import PACKAGE_DIR, SAMPLE_DATA_DIR, CsvInt, Section, _split, check_timeframe
from config.trading import (
    BrokerSettings,
    MarketSettings,
    PlanSettings,
    RiskSettings,
    ScanSettings,
    default_paper_balance,
)

# what other modules import from here (the sections live in config.sections, .trading, .markets, .outside)
__all__ = [
    "PACKAGE_DIR", "SAMPLE_DATA_DIR", "Section", "check_timeframe",
    "MarketSettings", "ScanSettings", "RiskSettings", "PlanSettings", "BrokerSettings", "default_paper_balance",
    "TelegramSettings", "ExchangeSettings", "VenueSettings", "DatabaseSettings",
    "HedgeSettings", "QmtSettings", "AlertSettings", "BackupSettings", "HooksSettings", "HttpSettings",
    "Settings", "SettingsError", "load_settings",
]


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
