"""claims and households at the counter: the catalogue's unit-price caps, household events

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 19:00:00.000000

`catalogue_item.max_unit_price` (giá tối đa, hundredths of VND like every amount; null: no cap),
filled for the reference rows from models/claim.py `PRICE_CAPS`: a claim line above it is refused.
`event.agent_id`: the collection agent a household event is for (auth/scopes.py `event_visible`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types
from models.claim import PRICE_CAPS

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('catalogue_item', sa.Column('max_unit_price', models.types.Money(), nullable=True))
    catalogue = sa.table(
        'catalogue_item',
        sa.column('kind', sa.String()),
        sa.column('code', sa.String()),
        sa.column('max_unit_price', models.types.Money()),
    )
    op.add_column('event', sa.Column('agent_id', sa.Integer(), nullable=True))
    for (kind, code), cap in PRICE_CAPS.items():
        op.execute(
            catalogue.update()
            .where(catalogue.c.kind == kind, catalogue.c.code == code)
            .values(max_unit_price=cap)
        )


def downgrade() -> None:
    with op.batch_alter_table('event') as batch:
        batch.drop_column('agent_id')
    with op.batch_alter_table('catalogue_item') as batch:
        batch.drop_column('max_unit_price')
