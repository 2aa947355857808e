"""visit rollup for the statistics

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 16:00:00.000000

`visit_rollup`, what `visitStatistics` reads instead of the visits (see models/visit_rollup.py):
per level (nation, province or facility, by ICD chapter or not, by visit type or not), year and
the patient's previous year with a visit in the group. Filled here from the visits in force; from
now on every write of a visit writes it too. For a million people (3.5 million visits) the fill is
one INSERT … SELECT, a minute or two.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('visit_rollup',
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('province_code', sa.String(length=2), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('icd_chapter', sa.String(length=5), nullable=False),
    sa.Column('visit_type', sa.String(length=10), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('previous_year', sa.Integer(), nullable=False),
    sa.Column('patients', sa.Integer(), nullable=False),
    sa.Column('visits', sa.Integer(), nullable=False),
    sa.Column('total_cost', sa.BigInteger(), nullable=False),
    sa.Column('insurance_paid', sa.BigInteger(), nullable=False),
    sa.Column('patient_paid', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('level IN (0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14)', name='ck_visit_rollup_level'),
    sa.PrimaryKeyConstraint('level', 'province_code', 'facility_id', 'icd_chapter', 'visit_type', 'year', 'previous_year')
    )

    # The backfill, with the code that keeps the table from now on (the tables as of this revision).
    from models import visit_rollup

    if op.get_bind().dialect.name == 'postgresql':
        # A minute or two for a national database: not a runaway statement (the engine stops those at 30 s).
        op.execute('SET LOCAL statement_timeout = 0')
        op.execute("SET LOCAL work_mem = '256MB'")
    visit_rollup.rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_table('visit_rollup')
