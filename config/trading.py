"""Settings sections of trading itself: market data (``SP_MARKET__*``), the scan (``SP_SCAN__*``), risk
and execution (``SP_RISK__*``), the trade plan (``SP_PLAN__*``) and the paper broker (``SP_BROKER__*``).
Part of ``config.settings`` (re-exported there)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from config.pairs import parse_scale_in, parse_targets
from config.sections import SAMPLE_DATA_DIR, CsvStr, Section, _split, check_timeframe


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
                                        "% has filled the rest is cancelled (what fills is protected by a stop "
                                        "sized to it from its first fill on)")
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
