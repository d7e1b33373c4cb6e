"""the paper venue's account as rows (orders, positions, fills, leverage, wallet) instead of one JSON text

Revision ID: 0003
Revises: 0007
Create Date: 2026-12-02 03:45:00.000000

An account saved by an earlier version (the kv row ``venue:paper``) is moved into the new tables.
"""

import json

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

import engine.storage.types

revision = '0003'
down_revision = '0007'  # re-chained after main's 0007 (was '0002')
branch_labels = None
depends_on = None

_KV_KEY = "venue:paper"


def _money(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, engine.storage.types.ExactDecimal(), nullable=nullable)


def _text(name: str, length: int) -> sa.Column:
    return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=False)


def upgrade() -> None:
    account = op.create_table('paper_account',
    sa.Column('id', sa.Integer(), nullable=False),
    _money('wallet'),
    sa.Column('order_seq', sa.Integer(), nullable=False),
    sa.Column('trade_seq', sa.Integer(), nullable=False),
    sa.Column('liq_seq', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    leverage = op.create_table('paper_leverage',
    _text('symbol', 40),
    sa.Column('leverage', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('symbol')
    )
    positions = op.create_table('paper_positions',
    _text('symbol', 40),
    _text('side', 8),
    _money('qty'), _money('entry'), _money('margin'),
    sa.Column('leverage', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('symbol')
    )
    orders = op.create_table('paper_orders',
    _text('client_id', 48),
    sa.Column('seq', sa.Integer(), nullable=False),
    _text('symbol', 40), _text('action', 4), _text('type', 16),
    _money('qty'),
    sa.Column('created_at', engine.storage.types.UtcDateTime(timezone=True), nullable=False),
    _money('price', True), _money('trigger_price', True),
    sa.Column('reduce_only', sa.Boolean(), nullable=False),
    sa.Column('leverage', sa.Integer(), nullable=False),
    _money('reserved'),
    _text('status', 16),
    _money('filled_qty'), _money('avg_price', True), _money('fee'),
    sa.Column('updated_at', engine.storage.types.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('client_id')
    )
    with op.batch_alter_table('paper_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_orders_seq'), ['seq'], unique=False)
        batch_op.create_index(batch_op.f('ix_paper_orders_status'), ['status'], unique=False)
    fills = op.create_table('paper_fills',
    _text('trade_id', 64), _text('client_id', 48), _text('symbol', 40), _text('action', 4),
    _money('qty'), _money('price'), _money('fee'),
    sa.Column('is_maker', sa.Boolean(), nullable=False),
    sa.Column('ts', engine.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('trade_id')
    )
    with op.batch_alter_table('paper_fills', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_fills_client_id'), ['client_id'], unique=False)
    _move_saved_account(account, leverage, positions, orders, fills)


def _move_saved_account(account: sa.Table, leverage: sa.Table, positions: sa.Table, orders: sa.Table,
                        fills: sa.Table) -> None:
    """The JSON account of earlier versions (format 1), row by row."""
    from datetime import datetime
    from decimal import Decimal

    bind = op.get_bind()
    kv = sa.table('kv', sa.column('key', sa.String), sa.column('value', sa.Text))
    text = bind.execute(sa.select(kv.c.value).where(kv.c.key == _KV_KEY)).scalar()
    if not text:
        return
    data = json.loads(text)

    def dec(value: str | None) -> Decimal | None:
        return None if value is None else Decimal(value)

    def when(value: str | None) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value)

    op.bulk_insert(account, [{"id": 1, "wallet": Decimal(data["wallet"]), "order_seq": int(data["order_seq"]),
                              "trade_seq": int(data["trade_seq"]), "liq_seq": int(data["liq_seq"])}])
    op.bulk_insert(leverage, [{"symbol": k, "leverage": int(v)} for k, v in data["leverage"].items()])
    op.bulk_insert(positions, [{"symbol": p["symbol"], "side": p["side"], "qty": Decimal(p["qty"]),
                                "entry": Decimal(p["entry"]), "margin": Decimal(p["margin"]),
                                "leverage": int(p["leverage"])} for p in data["positions"]])
    op.bulk_insert(orders, [{
        "client_id": o["client_id"], "seq": int(o["seq"]), "symbol": o["symbol"], "action": o["action"],
        "type": o["type"], "qty": Decimal(o["qty"]), "created_at": when(o["created_at"]), "price": dec(o["price"]),
        "trigger_price": dec(o["trigger_price"]), "reduce_only": bool(o["reduce_only"]),
        "leverage": int(o["leverage"]), "reserved": Decimal(o["reserved"]), "status": o["status"],
        "filled_qty": Decimal(o["filled_qty"]), "avg_price": dec(o["avg_price"]), "fee": Decimal(o["fee"]),
        "updated_at": when(o["updated_at"])} for o in data["orders"]])
    op.bulk_insert(fills, [{
        "trade_id": f["trade_id"], "client_id": f["client_id"], "symbol": f["symbol"], "action": f["action"],
        "qty": Decimal(f["qty"]), "price": Decimal(f["price"]), "fee": Decimal(f["fee"]),
        "is_maker": bool(f["is_maker"]), "ts": when(f["ts"])} for o in data["orders"] for f in o["fills"]])
    bind.execute(sa.delete(kv).where(kv.c.key == _KV_KEY))


def downgrade() -> None:
    op.drop_table('paper_fills')
    op.drop_table('paper_orders')
    op.drop_table('paper_positions')
    op.drop_table('paper_leverage')
    op.drop_table('paper_account')
