"""positions, orders and fills record their venue (``default`` = the SP_EXCHANGE venue); the paper
venues' rows are keyed by venue, so two paper venues (the hedge's) never share rows

Revision ID: 0009
Revises: 0003
Create Date: 2026-12-02 05:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

revision = '0009'
down_revision = '0003'
branch_labels = None
depends_on = None

_TABLES = ('positions', 'orders', 'fills')
# paper table -> its key inside one venue
_PAPER = {'paper_account': (), 'paper_leverage': ('symbol',), 'paper_positions': ('symbol',),
          'paper_orders': ('client_id',), 'paper_fills': ('trade_id',)}
_OLD_KEYS = {'paper_account': ('id',)}
_INDEXES = {'paper_orders': ('seq', 'status'), 'paper_fills': ('client_id',)}


def _venue() -> sa.Column:
    return sa.Column('venue', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False, server_default='default')


def _rebuild(name: str, keys: tuple[str, ...], with_venue: bool) -> None:
    """Copy ``name`` into a table keyed by ``keys`` (with or without the venue column), then swap."""
    old = sa.Table(name, sa.MetaData(), autoload_with=op.get_bind())
    columns = [sa.Column(c.name, c.type, nullable=c.nullable) for c in old.columns if c.name != 'venue']
    if with_venue:
        columns.insert(0, _venue())
    temp = f'{name}_rekeyed'
    op.create_table(temp, *columns, sa.PrimaryKeyConstraint(*keys, name=f'pk_{name}_{len(keys)}'))
    names = ', '.join(c.name for c in columns if c.name != 'venue')
    where = '' if with_venue else " WHERE venue = 'default'"
    op.execute(f'INSERT INTO {temp} ({names}) SELECT {names} FROM {name}{where}')
    op.drop_table(name)
    op.rename_table(temp, name)
    for column in _INDEXES.get(name, ()):
        op.create_index(f'ix_{name}_{column}', name, [column], unique=False)


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(_venue())
            batch.create_index(batch.f(f'ix_{table}_venue'), ['venue'], unique=False)
    for name, keys in _PAPER.items():
        _rebuild(name, ('venue', *keys), with_venue=True)


def downgrade() -> None:
    for name, keys in _PAPER.items():
        _rebuild(name, _OLD_KEYS.get(name, keys), with_venue=False)
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_index(batch.f(f'ix_{table}_venue'))
            batch.drop_column('venue')
