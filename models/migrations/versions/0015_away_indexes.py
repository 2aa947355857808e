"""contribution_away indexed by person and by the months a period ends in

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 14:00:00.000000

`ix_away_person`: a correction or void of a period writes the person's away periods afresh
(models/rollup.py `periods_changed`: delete by person, insert). Without it that delete read the whole
table: 145 ms for 3.3 million away periods at a million people, inside the correction's transaction.

`ix_away_province_to` replaces `ix_away_province_unit`: the statistics that group units with the
people's province (resolvers/statistics.py `_away_part`) read a province's away periods that end in
or after the first year asked; recent years then read the periods still running, not every period
the province ever had (102,928 of 382,454 for Hà Nội in 2026). Nothing looked up a province's away
periods by unit.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('contribution_away', schema=None) as batch_op:
        batch_op.create_index('ix_away_person', ['person_id'], unique=False)
        batch_op.create_index('ix_away_province_to', ['province_scope', 'to_month'], unique=False)
        batch_op.drop_index('ix_away_province_unit')


def downgrade() -> None:
    with op.batch_alter_table('contribution_away', schema=None) as batch_op:
        batch_op.create_index('ix_away_province_unit', ['province_scope', 'unit_id'], unique=False)
        batch_op.drop_index('ix_away_province_to')
        batch_op.drop_index('ix_away_person')
