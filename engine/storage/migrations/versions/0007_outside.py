"""where a signal came from (scanner, TradingView, an admin's message, a channel post); alert
deliveries of the channels beyond Telegram (webhook, e-mail)

Revision ID: 0007
Revises: 0002
Create Date: 2026-12-02 03:40:00.000000
"""

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

import engine.storage.types

revision = '0007'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('signals') as batch:
        batch.add_column(sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                   server_default='scanner'))
    op.create_table('outbox_channel_deliveries',
    sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('delivered_at', engine.storage.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('event_id', 'channel')
    )


def downgrade() -> None:
    op.drop_table('outbox_channel_deliveries')
    with op.batch_alter_table('signals') as batch:
        batch.drop_column('source')
