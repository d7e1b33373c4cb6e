"""positions, orders and fills record their venue (``default`` = the SP_EXCHANGE venue)

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-02 05:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None

_TABLES = ('positions', 'orders', 'fills')


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('venue', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False,
                                       server_default='default'))
            batch.create_index(batch.f(f'ix_{table}_venue'), ['venue'], unique=False)


def downgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_index(batch.f(f'ix_{table}_venue'))
            batch.drop_column('venue')
