"""the access log without foreign keys: an append-only record, written in one statement per request

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 20:00:00.000000

`access_log.person_id` and `.actor_account_id` lose their foreign keys. The rows are written only by
the server (auth/access_log.py), in the unit of work that has just read those people under that
account, so the keys checked nothing the write does not already know; and an ADMIN's read of
10,000 employees made them 20,000 trigger calls: 55–60 of the insert's 85 ms on PostgreSQL.
An audit record should also outlive what it names, not block its removal. The index that answers
"who looked at my data" (`ix_access_log_person_newest`) stays.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import models.types

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _table(*constraints: sa.Constraint) -> sa.Table:
    """access_log as 0001 made it, with the given constraints: what SQLite's batch mode copies into."""
    return sa.Table(
        'access_log',
        sa.MetaData(),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', models.types.UtcDateTime(), nullable=False),
        sa.Column('actor_account_id', sa.Integer(), nullable=True),
        sa.Column('actor_username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('actor_role', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('fields', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column('operation_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.Index('ix_access_log_person_newest', 'person_id', 'at', 'id'),
        *constraints,
    )


def _keys() -> list[sa.Constraint]:
    return [
        sa.ForeignKeyConstraint(['actor_account_id'], ['account.id'], name='access_log_actor_account_id_fkey'),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], name='access_log_person_id_fkey'),
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite's constraints are unnamed: the table is copied into its definition without them.
        with op.batch_alter_table('access_log', copy_from=_table(), recreate='always'):
            pass
        return
    op.drop_constraint('access_log_person_id_fkey', 'access_log', type_='foreignkey')
    op.drop_constraint('access_log_actor_account_id_fkey', 'access_log', type_='foreignkey')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table('access_log', copy_from=_table(*_keys()), recreate='always'):
            pass
        return
    op.create_foreign_key('access_log_person_id_fkey', 'access_log', 'person', ['person_id'], ['id'])
    op.create_foreign_key(
        'access_log_actor_account_id_fkey', 'access_log', 'account', ['actor_account_id'], ['id']
    )
