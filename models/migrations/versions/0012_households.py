"""household BHYT: households, members, payments, agents' catchments, agent partners

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-02 16:00:00.000000

The tables of household BHYT (models/household.py), and a third kind of partner account: a
collection agent (`account.agent_id`), so the partner binding names exactly one of facility,
unit and agent. SQLite cannot alter a CHECK constraint and a table rebuild would break the
foreign keys to `account` of existing rows; the constraint only becomes more permissive, which
SQLite's documentation allows through `writable_schema` (ALTER TABLE, "making other kinds of
table schema changes"): every stored row satisfies the new text as it did the old one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_BINDING = "role <> 'PARTNER' OR (facility_id IS NULL) <> (unit_id IS NULL)"
NEW_BINDING = (
    "role <> 'PARTNER' OR (CASE WHEN facility_id IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN unit_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN agent_id IS NULL THEN 0 ELSE 1 END) = 1"
)


def _sqlite_binding(old: str, new: str) -> None:
    bind = op.get_bind()
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'account'").scalar()
    assert sql is not None and old in sql, 'account: the partner binding is not the expected one'
    version = bind.exec_driver_sql('PRAGMA schema_version').scalar()
    bind.exec_driver_sql('PRAGMA writable_schema = ON')
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'account'", (sql.replace(old, new),)
    )
    bind.exec_driver_sql(f'PRAGMA schema_version = {int(version) + 1}')
    bind.exec_driver_sql('PRAGMA writable_schema = OFF')


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == 'postgresql'
    if postgresql:
        op.add_column(
            'account',
            sa.Column('agent_id', sa.Integer(), sa.ForeignKey('collection_agent.id', name='fk_account_agent'), nullable=True),
        )
        op.drop_constraint('ck_account_partner_binding', 'account', type_='check')
        op.create_check_constraint('ck_account_partner_binding', 'account', NEW_BINDING)
    else:
        # SQLite adds a column with a foreign key (null by default) in place.
        op.execute('ALTER TABLE account ADD COLUMN agent_id INTEGER REFERENCES collection_agent (id)')
        _sqlite_binding(OLD_BINDING, NEW_BINDING)
    op.create_table('household',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('head_person_id', sa.Integer(), nullable=False),
    sa.Column('province_scope', sa.String(length=2), nullable=False),
    sa.Column('ward_code', sa.String(length=5), nullable=False),
    sa.Column('created_at', models.types.UtcDateTime(), nullable=False),
    sa.CheckConstraint('length(code) = 12', name='ck_household_code_length'),
    sa.ForeignKeyConstraint(['head_person_id'], ['person.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    )
    op.create_index('ix_household_ward', 'household', ['ward_code'])
    op.create_index('ix_household_province_scope', 'household', ['province_scope', 'code'])
    op.create_table('household_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('joined_at', models.types.UtcDateTime(), nullable=False),
    sa.Column('delegation_revoked_at', models.types.UtcDateTime(), nullable=True),
    sa.CheckConstraint('position >= 1', name='ck_household_member_position'),
    sa.ForeignKeyConstraint(['household_id'], ['household.id']),
    sa.ForeignKeyConstraint(['person_id'], ['person.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('person_id'),
    )
    op.create_index('ix_household_member_household', 'household_member', ['household_id', 'position'])
    op.create_table('household_payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('amount', models.types.Money(), nullable=False),
    sa.Column('recorded_at', models.types.UtcDateTime(), nullable=False),
    sa.CheckConstraint('months IN (3, 6, 12)', name='ck_household_payment_months'),
    sa.CheckConstraint('amount > 0', name='ck_household_payment_amount'),
    sa.ForeignKeyConstraint(['household_id'], ['household.id']),
    sa.ForeignKeyConstraint(['agent_id'], ['collection_agent.id']),
    sa.ForeignKeyConstraint(['account_id'], ['account.id']),
    sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_household_payment_household', 'household_payment', ['household_id', 'paid_on', 'id'])
    op.create_table('household_payment_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('amount', models.types.Money(), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['payment_id'], ['household_payment.id']),
    sa.ForeignKeyConstraint(['person_id'], ['person.id']),
    sa.ForeignKeyConstraint(['card_id'], ['health_insurance_card.id']),
    sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_household_payment_line_payment', 'household_payment_line', ['payment_id', 'rank'])
    op.create_table('agent_catchment',
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('ward_code', sa.String(length=5), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['collection_agent.id']),
    sa.PrimaryKeyConstraint('agent_id', 'ward_code'),
    )


def downgrade() -> None:
    op.drop_table('agent_catchment')
    op.drop_index('ix_household_payment_line_payment', table_name='household_payment_line')
    op.drop_table('household_payment_line')
    op.drop_index('ix_household_payment_household', table_name='household_payment')
    op.drop_table('household_payment')
    op.drop_index('ix_household_member_household', table_name='household_member')
    op.drop_table('household_member')
    op.drop_index('ix_household_province_scope', table_name='household')
    op.drop_index('ix_household_ward', table_name='household')
    op.drop_table('household')
    op.execute("DELETE FROM account WHERE agent_id IS NOT NULL")
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_constraint('ck_account_partner_binding', 'account', type_='check')
        op.create_check_constraint('ck_account_partner_binding', 'account', OLD_BINDING)
        op.drop_constraint('fk_account_agent', 'account', type_='foreignkey')
        op.drop_column('account', 'agent_id')
    else:
        _sqlite_binding(NEW_BINDING, OLD_BINDING)
        with op.batch_alter_table('account') as batch_op:
            batch_op.drop_column('agent_id')
