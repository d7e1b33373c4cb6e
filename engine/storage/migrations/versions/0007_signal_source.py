"""where a signal came from: the scanner, a TradingView webhook, an admin's message or a channel post

Revision ID: 0007
Revises: 0002
Create Date: 2026-12-02 03:40:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0007'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('signals') as batch:
        batch.add_column(sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                   server_default='scanner'))


def downgrade() -> None:
    with op.batch_alter_table('signals') as batch:
        batch.drop_column('source')
