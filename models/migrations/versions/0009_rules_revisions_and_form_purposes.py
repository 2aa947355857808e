"""record rules, corrections with revisions, form 01's purposes

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 07:00:00.000000

`voided` on periods, visits and benefits (a voided record counts nowhere); the visit's route
(tuyến) and referring facility, from which the server computes the fund's share; the `revision`
table (each correction or void with its changes); `registration.purpose` (REGISTER, ADJUST, STOP);
an index to find a benefit decision by number.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN on both backends (no table rebuild on SQLite, which keeps its partial
    # indexes); SQLite cannot add a CHECK constraint to a table, so those are PostgreSQL's only.
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for table in ('contribution_period', 'medical_visit', 'benefit'):
        op.add_column(table, sa.Column('voided', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('medical_visit', sa.Column('route', sa.String(length=12), nullable=False, server_default='PRIMARY'))
    op.add_column('medical_visit', sa.Column('referred_from', sa.String(length=5), nullable=True))
    op.add_column('registration', sa.Column('purpose', sa.String(length=8), nullable=False, server_default='REGISTER'))
    if postgresql:
        op.create_check_constraint(
            'ck_visit_route', 'medical_visit', "route IN ('PRIMARY', 'REFERRED', 'OUT_OF_ROUTE', 'EMERGENCY')"
        )
        op.create_check_constraint(
            'ck_registration_purpose', 'registration', "purpose IN ('REGISTER', 'ADJUST', 'STOP')"
        )
    op.create_index('ix_benefit_decision_number', 'benefit', ['decision_number'])
    op.create_table('revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_type', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('revised_at', models.types.UtcDateTime(), nullable=False),
    sa.Column('revised_by', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('voided', sa.Boolean(), nullable=False),
    sa.Column('changes', sa.String(length=20000), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id']),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_revision_subject', 'revision', ['subject_type', 'subject_id', 'id'])


def downgrade() -> None:
    op.drop_index('ix_revision_subject', table_name='revision')
    op.drop_table('revision')
    op.drop_index('ix_benefit_decision_number', table_name='benefit')
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_constraint('ck_registration_purpose', 'registration', type_='check')
        op.drop_constraint('ck_visit_route', 'medical_visit', type_='check')
    op.drop_column('registration', 'purpose')
    op.drop_column('medical_visit', 'referred_from')
    op.drop_column('medical_visit', 'route')
    for table in ('contribution_period', 'medical_visit', 'benefit'):
        op.drop_column(table, 'voided')
