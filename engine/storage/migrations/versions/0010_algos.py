"""execution algorithms (TWAP, iceberg): one row per run, written with the slice orders it sends

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 07:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

import engine.storage.types

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    money = engine.storage.types.ExactDecimal
    when = engine.storage.types.UtcDateTime
    op.create_table('algos',
    sa.Column('id', text(length=48), nullable=False),
    sa.Column('position_id', text(length=24), nullable=False),
    sa.Column('leg', text(length=8), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('kind', text(length=16), nullable=False),
    sa.Column('status', text(length=16), nullable=False),
    sa.Column('total', money(length=64), nullable=False),
    sa.Column('start', when(timezone=True), nullable=False),
    sa.Column('duration_s', sa.Integer(), nullable=False),
    sa.Column('slices', sa.Integer(), nullable=False),
    sa.Column('visible', money(length=64), nullable=False),
    sa.Column('price', money(length=64), nullable=True),
    sa.Column('jitter_pct', money(length=64), nullable=False),
    sa.Column('limit_pct', money(length=64), nullable=False),
    sa.Column('seed', text(length=24), nullable=False),
    sa.Column('sent', sa.Integer(), nullable=False),
    sa.Column('reported', sa.Integer(), nullable=False),
    sa.Column('updated_at', when(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('algos') as batch:
        batch.create_index(batch.f('ix_algos_position_id'), ['position_id'], unique=False)
        batch.create_index(batch.f('ix_algos_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('algos') as batch:
        batch.drop_index(batch.f('ix_algos_status'))
        batch.drop_index(batch.f('ix_algos_position_id'))
    op.drop_table('algos')
