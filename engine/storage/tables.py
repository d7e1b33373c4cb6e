"""Database tables (sqlmodel). Domain objects are mapped to and from rows in repositories.py."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from engine.storage.types import ExactDecimal, UtcDateTime


def money(nullable: bool = False, default: Decimal | None = None) -> Any:  # a Field, as sqlmodel's own
    return Field(default=default, sa_type=ExactDecimal, nullable=nullable)


def when(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_type=UtcDateTime, nullable=nullable, index=index)


class SignalRow(SQLModel, table=True):
    __tablename__ = "signals"

    id: str = Field(primary_key=True, max_length=40)
    symbol: str = Field(index=True, max_length=40)
    side: str = Field(max_length=8)
    score: float
    factors_json: str = Field(sa_column=Column(Text, nullable=False))
    entry: Decimal = money()
    stop: Decimal = money()
    targets_json: str = Field(sa_column=Column(Text, nullable=False))
    leverage: int
    timeframe: str = Field(max_length=8)
    created_at: datetime = when(index=True)
    expires_at: datetime = when()
    status: str = Field(index=True, max_length=16)
    status_by: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, max_length=64)
    atr_pct: float | None = None
    source: str = Field(default="scanner", max_length=16)


class PositionRow(SQLModel, table=True):
    __tablename__ = "positions"

    id: str = Field(primary_key=True, max_length=24)
    signal_id: str = Field(index=True, max_length=40)
    symbol: str = Field(index=True, max_length=40)
    side: str = Field(max_length=8)
    state: str = Field(index=True, max_length=16)
    qty: Decimal = money()
    remaining: Decimal = money()
    entry_price: Decimal = money()
    stop_price: Decimal = money()
    initial_stop: Decimal = money()
    targets_json: str = Field(sa_column=Column(Text, nullable=False))
    leverage: int
    created_at: datetime = when()
    targets_hit: int = 0
    realized_pnl: Decimal = money()
    fees: Decimal = money()
    opened_at: datetime | None = when(nullable=True)
    closed_at: datetime | None = when(nullable=True, index=True)
    close_reason: str | None = Field(default=None, max_length=16)
    breakeven: bool = False
    stop_seq: int = 0
    stop_kind: str = Field(default="stop", max_length=12)
    close_seq: int = 0
    trailing_pct: Decimal = money()
    time_stop_at: datetime | None = when(nullable=True)
    best_price: Decimal | None = money(nullable=True)
    liquidation_price: Decimal | None = money(nullable=True)
    exits_json: str = Field(sa_column=Column(Text, nullable=False))
    venue: str = Field(default="default", max_length=32, index=True)


class OrderRow(SQLModel, table=True):
    __tablename__ = "orders"

    client_id: str = Field(primary_key=True, max_length=48)
    position_id: str = Field(index=True, max_length=24)
    leg: str = Field(max_length=8)
    symbol: str = Field(max_length=40)
    action: str = Field(max_length=4)
    type: str = Field(max_length=16)
    qty: Decimal = money()
    price: Decimal | None = money(nullable=True)
    trigger_price: Decimal | None = money(nullable=True)
    reduce_only: bool = False
    status: str = Field(index=True, max_length=16)
    exchange_id: str | None = Field(default=None, max_length=64)
    filled_qty: Decimal = money()
    avg_price: Decimal | None = money(nullable=True)
    fee: Decimal = money()
    error: str | None = Field(default=None, max_length=500)
    created_at: datetime = when()
    updated_at: datetime = when()
    venue: str = Field(default="default", max_length=32, index=True)


class FillRow(SQLModel, table=True):
    __tablename__ = "fills"
    __table_args__ = (UniqueConstraint("client_id", "trade_id", name="uq_fill_trade"),)

    id: int | None = Field(default=None, primary_key=True)
    trade_id: str = Field(max_length=64)
    client_id: str = Field(index=True, max_length=48)
    position_id: str | None = Field(default=None, index=True, max_length=24)
    symbol: str = Field(max_length=40)
    action: str = Field(max_length=4)
    qty: Decimal = money()
    price: Decimal = money()
    fee: Decimal = money()
    is_maker: bool = False
    ts: datetime = when(index=True)
    venue: str = Field(default="default", max_length=32, index=True)


class KvRow(SQLModel, table=True):
    """Small durable values: runtime settings, trading state, venue state, equity peak."""

    __tablename__ = "kv"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(sa_column=Column(Text, nullable=False))


class CardRow(SQLModel, table=True):
    """Where a signal's card was sent, so alerts can reply to it."""

    __tablename__ = "cards"

    signal_id: str = Field(primary_key=True, max_length=40)
    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    message_id: int = Field(sa_column=Column(BigInteger, nullable=False))


class UserPrefRow(SQLModel, table=True):
    __tablename__ = "user_prefs"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    lang: str = Field(max_length=8)


class EquityRow(SQLModel, table=True):
    __tablename__ = "equity"

    id: int | None = Field(default=None, primary_key=True)
    ts: datetime = when(index=True)
    equity: Decimal = money()


class OutboxRow(SQLModel, table=True):
    """An alert-type event, written in the same transaction as the change that caused it."""

    __tablename__ = "outbox"

    seq: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=40, unique=True)
    kind: str = Field(max_length=40)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = when(index=True)
    settled_at: datetime | None = when(nullable=True, index=True)  # every recipient has it (or never will)


class OutboxDeliveryRow(SQLModel, table=True):
    """One alert confirmed by Telegram in one chat: it is never sent there again."""

    __tablename__ = "outbox_deliveries"

    event_id: str = Field(primary_key=True, max_length=40)
    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    delivered_at: datetime = when()


class OutboxChannelRow(SQLModel, table=True):
    """One alert handled by a channel other than Telegram (``webhook``, ``email``): sent, skipped (not
    a kind the channel takes) or refused for good by the receiver. Never handled there again."""

    __tablename__ = "outbox_channel_deliveries"

    event_id: str = Field(primary_key=True, max_length=40)
    channel: str = Field(primary_key=True, max_length=16)
    outcome: str = Field(max_length=16)
    delivered_at: datetime = when()


# --- the paper venue's own account: one row per thing, written when it changes ------------------------
class PaperAccountRow(SQLModel, table=True):
    """A paper venue's wallet and counters (one row per venue)."""

    __tablename__ = "paper_account"

    venue: str = Field(default="default", primary_key=True, max_length=32)  # one account per paper venue
    id: int = Field(default=1)
    wallet: Decimal = money()
    order_seq: int = 0
    trade_seq: int = 0
    liq_seq: int = 0


class PaperLeverageRow(SQLModel, table=True):
    __tablename__ = "paper_leverage"

    venue: str = Field(default="default", primary_key=True, max_length=32)
    symbol: str = Field(primary_key=True, max_length=40)
    leverage: int


class PaperPositionRow(SQLModel, table=True):
    __tablename__ = "paper_positions"

    venue: str = Field(default="default", primary_key=True, max_length=32)
    symbol: str = Field(primary_key=True, max_length=40)
    side: str = Field(max_length=8)
    qty: Decimal = money()
    entry: Decimal = money()
    margin: Decimal = money()
    leverage: int


class PaperOrderRow(SQLModel, table=True):
    __tablename__ = "paper_orders"

    venue: str = Field(default="default", primary_key=True, max_length=32)
    client_id: str = Field(primary_key=True, max_length=48)
    seq: int = Field(index=True)
    symbol: str = Field(max_length=40)
    action: str = Field(max_length=4)
    type: str = Field(max_length=16)
    qty: Decimal = money()
    created_at: datetime = when()
    price: Decimal | None = money(nullable=True)
    trigger_price: Decimal | None = money(nullable=True)
    reduce_only: bool = False
    leverage: int = 1
    reserved: Decimal = money()
    status: str = Field(index=True, max_length=16)
    filled_qty: Decimal = money()
    avg_price: Decimal | None = money(nullable=True)
    fee: Decimal = money()
    updated_at: datetime | None = when(nullable=True)


class PaperFillRow(SQLModel, table=True):
    __tablename__ = "paper_fills"

    venue: str = Field(default="default", primary_key=True, max_length=32)
    trade_id: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(index=True, max_length=48)
    symbol: str = Field(max_length=40)
    action: str = Field(max_length=4)
    qty: Decimal = money()
    price: Decimal = money()
    fee: Decimal = money()
    is_maker: bool = False
    ts: datetime = when()


class AlgoRow(SQLModel, table=True):
    """An execution algorithm's run (TWAP, iceberg) for one leg of a position: its plan and how far it
    went, written with the slice orders it sends (engine.domain.algos)."""

    __tablename__ = "algos"

    id: str = Field(primary_key=True, max_length=48)  # <position>-<leg>-<attempt>
    position_id: str = Field(index=True, max_length=24)
    leg: str = Field(max_length=8)
    attempt: int = 0
    kind: str = Field(max_length=16)
    status: str = Field(index=True, max_length=16)
    total: Decimal = money()
    start: datetime = when()
    duration_s: int = 0
    slices: int = 0
    visible: Decimal = money()
    price: Decimal | None = money(nullable=True)
    jitter_pct: Decimal = money()
    limit_pct: Decimal = money()
    seed: str = Field(max_length=24)  # a 64-bit number: text, for every database
    sent: int = 0
    reported: int = 0
    updated_at: datetime = when()
