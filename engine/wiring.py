"""Builds the engine's components from the settings: the only place that picks paper or live,
replay or live data. Backtest, paper and live share every service; only the market source,
the clock and the broker differ."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from config.settings import Settings, default_paper_balance
from engine.brokers.base import Broker
from engine.brokers.errors import register_secret
from engine.bus import EventBus
from engine.clock import Clock, LiveClock, ManualClock
from engine.domain.events import EngineError
from engine.domain.models import position_id_of
from engine.domain.reasons import ErrorCode
from engine.execution.algo_watch import AlgoWatch
from engine.execution.entry import plan_of
from engine.execution.watch import EntryWatch
from engine.intake.service import IntakeService, resolve_symbol
from engine.jobs import Jobs
from engine.market.base import MarketData
from engine.market.replay import ReplayMarketData
from engine.market_rules import AnyTimeRules, MarketRules
from engine.market_rules.ashare import AShareRules, ashare_costs, is_ashare_symbol
from engine.plan import Planner
from engine.positions.guard import LossGuard
from engine.positions.manager import PositionManager
from engine.risk.gate import RiskGate
from engine.risk.service import RiskService
from engine.runtime import RuntimeSettings
from engine.signal_service import SignalService
from engine.signals.scanner import Scanner
from engine.signals.scorer import Scorer
from engine.storage.db import Database
from engine.storage.kv_store import KvStateStore
from engine.storage.paper_rows import PaperRows
from engine.storage.repository import Repository
from engine.trading import TradingService

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Components:
    settings: Settings
    clock: Clock
    bus: EventBus
    db: Database
    repo: Repository
    market: MarketData
    replay: ReplayMarketData | None
    broker: Broker
    runtime: RuntimeSettings
    planner: Planner
    risk: RiskService
    manager: PositionManager
    signals: SignalService
    trading: TradingService
    jobs: Jobs
    currency: str
    guard: LossGuard
    entries: EntryWatch
    intake: IntakeService | None = None  # signals from outside (engine.intake)
    rules: MarketRules = field(default_factory=AnyTimeRules)  # sessions, lots, T+1 of the traded market
    algos: AlgoWatch | None = None  # execution algorithms (TWAP, iceberg: engine.execution)


async def build(settings: Settings, *, clock: Any = None, market: MarketData | None = None,
                broker: Broker | None = None, database_url: str | None = None,
                persist_venue: bool = True) -> Components:
    for secret in (settings.telegram.token, settings.exchange.api_key, settings.exchange.api_secret,
                   settings.telegram.webhook_secret, settings.hooks.tradingview_secret,
                   settings.alerts.webhook_secret, settings.alerts.smtp_password, settings.qmt.token):
        if secret is not None:
            register_secret(secret.get_secret_value())
    replay: ReplayMarketData | None = None
    # the one set of A-share rules every part of an A-share engine consults (ST list from SP_QMT__ST_SYMBOLS)
    ashare = AShareRules(st_symbols=frozenset(settings.qmt.st_symbols))
    if market is None:
        if settings.market.source == "replay":
            clock = clock or ManualClock(EPOCH)
            replay = ReplayMarketData(
                settings.market.replay_dir, clock, base_timeframe=settings.market.base_timeframe,
                symbols=list(settings.scan.symbols) or None, warmup=settings.market.replay_warmup,
                speed=settings.market.replay_speed, start=settings.market.replay_from,
                end=settings.market.replay_to)
            market = replay
        elif settings.exchange.name == "qmt":
            from engine.brokers.qmt.market import build_qmt_market

            clock = clock or LiveClock()
            market = build_qmt_market(settings, clock, ashare)
        else:
            from engine.brokers.ccxt import build_live_market

            clock = clock or LiveClock()
            market = build_live_market(settings.exchange, clock, poll_seconds=settings.market.poll_seconds)
    elif isinstance(market, ReplayMarketData):
        replay = market
    assert clock is not None
    db = Database(database_url or settings.database_url)
    repo = Repository(db)
    bus = EventBus()
    currency = await _currency(market)
    if broker is None:
        if settings.paper:
            from engine.brokers.paper import PaperBroker

            broker_settings = settings.broker
            if broker_settings.paper_balance is None:
                broker_settings = broker_settings.model_copy(update={"paper_balance": default_paper_balance(currency)})
            broker = PaperBroker(broker_settings, clock, market.market,
                                 store=PaperRows(db) if persist_venue else None, currency=currency,
                                 costs=ashare_costs if currency == "CNY" else None)
            if currency == "CNY":  # A-shares: sessions and T+1 on the simulated venue too
                from engine.market_rules.t_plus_one import TPlusOne

                broker = TPlusOne(broker, clock, ashare, store=KvStateStore(repo) if persist_venue else None)
        elif settings.exchange.name == "qmt":
            from engine.brokers.qmt import build_qmt_broker

            qmt = settings.qmt
            assert qmt.url and qmt.token is not None  # the settings refuse live qmt without them
            broker = build_qmt_broker(qmt.url, qmt.token.get_secret_value(), clock, rules=ashare,
                                      store=KvStateStore(repo) if persist_venue else None,
                                      max_orders_per_min=qmt.max_orders_per_min, poll_seconds=qmt.poll_seconds,
                                      timeout=qmt.timeout_seconds)
        else:
            from engine.brokers.ccxt import build_broker

            broker = build_broker(settings.exchange, clock)
    notices = getattr(broker, "notices", False)
    if notices is None:  # the qmt broker: why an exit waits (T+1, limit-down) reaches the user
        broker.notices = _market_rule_notice(bus, clock)  # type: ignore[union-attr]
    # live venues know the account's leverage brackets: their market specs win over public data
    markets = market.market if broker.paper else broker.market
    runtime = RuntimeSettings(settings, repo)
    planner = Planner(settings.plan, settings.broker.maintenance_margin_pct)
    risk = RiskService(settings.risk, repo, bus, clock, settings.paper)
    bus.subscribe(EngineError, risk.on_engine_error)
    manager = PositionManager(repo, broker, bus, clock, markets, taker_fee=settings.broker.taker_fee,
                              breakeven_buffer_pct=settings.plan.breakeven_buffer_pct, paper=settings.paper,
                              on_realized=risk.book, **_profit_trailing(settings))
    scanner = Scanner(market, Scorer(), timeframes=tuple(settings.scan.timeframes), candles=settings.scan.candles)
    signals = SignalService(settings.scan, market, scanner, planner, repo, bus, clock, runtime, settings.paper)
    trading = TradingService(settings, repo, bus, clock, market, broker, manager, RiskGate(settings.risk), risk,
                             planner, runtime)
    jobs = Jobs(clock, replay=replay is not None)
    guard = LossGuard(manager, lambda: risk.equity or risk.state.day_start_equity or None,
                      settings.risk.max_loss_pct)
    entry_plan = plan_of(settings.risk)
    entries = EntryWatch(manager, clock, lambda: entry_plan)
    intake = IntakeService(settings, market, planner, repo, bus, clock, runtime, signals, trading,
                           lambda text: resolve_symbol(market, text))
    return Components(settings, clock, bus, db, repo, market, replay, broker, runtime, planner, risk, manager,
                      signals, trading, jobs, currency, guard, entries, intake,
                      ashare if currency == "CNY" else AnyTimeRules(), AlgoWatch(manager, clock))


def _profit_trailing(settings: Settings) -> dict[str, Decimal]:
    plan = settings.plan
    if not plan.profit_trailing:
        return {}
    return {"trail_activation_pct": plan.trail_activation_pct, "trail_distance_pct": plan.trail_distance_pct}


async def _currency(market: MarketData) -> str:
    """The account currency: a live venue's settle currency (known without a request, so an
    unreachable exchange does not stop the build), else the quote of the replayed symbols."""
    settle = getattr(getattr(market, "venue", None), "settle", None)
    if isinstance(settle, str):
        return settle
    symbols = await market.symbols()
    if symbols and is_ashare_symbol(symbols[0]):
        return "CNY"
    return symbols[0].split("/")[1].split(":")[0] if symbols and "/" in symbols[0] else "USDT"


def _market_rule_notice(bus: EventBus, clock: Clock) -> Callable[[str, str], Awaitable[None]]:
    async def publish(client_id: str, text: str) -> None:
        await bus.publish(EngineError(ts=clock.now(), paper=False, code=ErrorCode.MARKET_RULE, detail=text,
                                      position_id=position_id_of(client_id)))

    return publish
