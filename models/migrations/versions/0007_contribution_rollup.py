"""contribution rollup for the statistics

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 11:30:00.000000

The three tables `contributionStatistics` reads instead of the periods (see models/rollup.py):
`contribution_rollup` (per province or unit, insurance type and year), `contribution_return`
(people back in a group after a gap) and `contribution_away` (the periods at units of another
province than the person's). They are filled here from the periods already there; from now on
every write of a period writes them too. For a million people the fill reads 13 million periods
once, in ranges of people, and takes a few minutes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GROUP = (
    ('level', sa.SmallInteger()),
    ('insurance_type', sa.String(length=24)),
    ('year', sa.Integer()),
    ('province_scope', sa.String(length=2)),
    ('unit_id', sa.Integer()),
)


def _group_columns() -> list[sa.Column]:
    return [sa.Column(name, kind, nullable=False) for name, kind in GROUP]


def upgrade() -> None:
    op.create_table('contribution_rollup',
    *_group_columns(),
    sa.Column('persons', sa.Integer(), nullable=False),
    sa.Column('entrants', sa.Integer(), nullable=False),
    sa.Column('person_months', sa.BigInteger(), nullable=False),
    sa.Column('salary_months', sa.BigInteger(), nullable=False),
    sa.Column('home_persons', sa.Integer(), nullable=False),
    sa.Column('home_entrants', sa.Integer(), nullable=False),
    sa.Column('home_person_months', sa.BigInteger(), nullable=False),
    sa.Column('home_salary_months', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('level IN (1, 2, 5, 6)', name='ck_rollup_level'),
    sa.PrimaryKeyConstraint('level', 'insurance_type', 'year', 'province_scope', 'unit_id')
    )
    op.create_table('contribution_return',
    *_group_columns(),
    sa.Column('previous_year', sa.Integer(), nullable=False),
    sa.Column('persons', sa.Integer(), nullable=False),
    sa.Column('home_persons', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('level', 'insurance_type', 'year', 'province_scope', 'unit_id', 'previous_year')
    )
    op.create_table('contribution_away',
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('province_scope', sa.String(length=2), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('insurance_type', sa.String(length=24), nullable=False),
    sa.Column('from_month', sa.Integer(), nullable=False),
    sa.Column('to_month', sa.Integer(), nullable=False),
    sa.Column('salary', models.types.Money(), nullable=True),
    sa.ForeignKeyConstraint(['period_id'], ['contribution_period.id'], ),
    sa.PrimaryKeyConstraint('period_id')
    )
    with op.batch_alter_table('contribution_away', schema=None) as batch_op:
        batch_op.create_index('ix_away_province_unit', ['province_scope', 'unit_id'], unique=False)

    # The backfill, with the code that keeps the tables from now on (the tables as of this revision).
    from models import rollup

    if op.get_bind().dialect.name == 'postgresql':
        # Minutes for a national database: not a runaway statement (the engine stops those at 30 s).
        op.execute('SET LOCAL statement_timeout = 0')
    rollup.rebuild(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table('contribution_away', schema=None) as batch_op:
        batch_op.drop_index('ix_away_province_unit')

    op.drop_table('contribution_away')
    op.drop_table('contribution_return')
    op.drop_table('contribution_rollup')
