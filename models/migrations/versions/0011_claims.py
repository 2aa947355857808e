"""claims: the catalogue of drug and service codes, claims and their lines

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-02 16:00:00.000000

`catalogue_item` (drugs of XML2, services of XML3) with its reference rows; `claim` (one visit,
its state, the fund's share, the claimed and accepted totals, a unique fingerprint against
duplicates) and `claim_line`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types
from models.claim import CATALOGUE

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    catalogue = op.create_table('catalogue_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.CheckConstraint("kind IN ('DRUG', 'SERVICE')", name='ck_catalogue_kind'),
    sa.CheckConstraint('code = upper(code)', name='ck_catalogue_code_upper'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'code', name='uq_catalogue_kind_code')
    )
    op.create_table('claim',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('province_code', sa.String(length=2), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('submitted_at', models.types.UtcDateTime(), nullable=False),
    sa.Column('review_started_at', models.types.UtcDateTime(), nullable=True),
    sa.Column('decided_at', models.types.UtcDateTime(), nullable=True),
    sa.Column('share_basis_points', sa.Integer(), nullable=False),
    sa.Column('share_reason', sa.String(length=200), nullable=False),
    sa.Column('benefit_level', sa.Integer(), nullable=False),
    sa.Column('claimed_total', models.types.Money(), nullable=False),
    sa.Column('claimed_fund', models.types.Money(), nullable=False),
    sa.Column('claimed_patient', models.types.Money(), nullable=False),
    sa.Column('accepted_total', models.types.Money(), nullable=True),
    sa.Column('accepted_fund', models.types.Money(), nullable=True),
    sa.Column('accepted_patient', models.types.Money(), nullable=True),
    sa.Column('decision_note', sa.String(length=500), nullable=True),
    sa.CheckConstraint(
        "state IN ('SUBMITTED', 'UNDER_REVIEW', 'ACCEPTED', 'PARTLY_ACCEPTED', 'REFUSED')", name='ck_claim_state'
    ),
    sa.CheckConstraint('claimed_fund + claimed_patient = claimed_total', name='ck_claim_adds_up'),
    sa.ForeignKeyConstraint(['facility_id'], ['health_facility.id']),
    sa.ForeignKeyConstraint(['person_id'], ['person.id']),
    sa.ForeignKeyConstraint(['visit_id'], ['medical_visit.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('fingerprint'),
    sa.UniqueConstraint('visit_id')
    )
    op.create_index('ix_claim_facility_newest', 'claim', ['facility_id', 'submitted_at', 'id'])
    op.create_index('ix_claim_province_newest', 'claim', ['province_code', 'submitted_at', 'id'])
    op.create_index('ix_claim_person_newest', 'claim', ['person_id', 'submitted_at', 'id'])
    op.create_table('claim_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('quantity', models.types.Money(), nullable=False),
    sa.Column('unit_price', models.types.Money(), nullable=False),
    sa.Column('amount', models.types.Money(), nullable=False),
    sa.Column('fund_share', models.types.Money(), nullable=False),
    sa.Column('patient_share', models.types.Money(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('refusal_reason', sa.String(length=32), nullable=True),
    sa.Column('refusal_note', sa.String(length=500), nullable=True),
    sa.CheckConstraint('quantity > 0 AND unit_price >= 0', name='ck_claim_line_values'),
    sa.CheckConstraint('fund_share + patient_share = amount', name='ck_claim_line_adds_up'),
    sa.CheckConstraint("state IN ('PENDING', 'ACCEPTED', 'REFUSED')", name='ck_claim_line_state'),
    sa.CheckConstraint("state != 'REFUSED' OR refusal_reason IS NOT NULL", name='ck_claim_line_reason'),
    sa.ForeignKeyConstraint(['claim_id'], ['claim.id']),
    sa.ForeignKeyConstraint(['item_id'], ['catalogue_item.id']),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('claim_id', 'number', name='uq_claim_line_number')
    )
    # The catalogue is reference data that serving needs: a migrated database has it.
    op.bulk_insert(
        catalogue, [{'kind': kind, 'code': code, 'name': name, 'unit': unit} for kind, code, name, unit in CATALOGUE]
    )


def downgrade() -> None:
    op.drop_table('claim_line')
    op.drop_index('ix_claim_person_newest', table_name='claim')
    op.drop_index('ix_claim_province_newest', table_name='claim')
    op.drop_index('ix_claim_facility_newest', table_name='claim')
    op.drop_table('claim')
    op.drop_table('catalogue_item')
