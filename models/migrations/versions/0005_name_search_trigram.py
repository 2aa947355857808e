"""name search trigram indexes

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 09:30:00.000000

On PostgreSQL, name search (`search_name LIKE '%…%'`, the folded name anywhere in the string) is
answered from a GIN trigram index instead of a scan of every row. SQLite has no such index: nothing
to do there.
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ('ix_person_search_name_trgm', 'person'),
    ('ix_unit_search_name_trgm', 'unit'),
    ('ix_health_facility_search_name_trgm', 'health_facility'),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    for name, table in INDEXES:
        op.execute(f'CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (search_name gin_trgm_ops)')


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for name, _ in INDEXES:
        op.execute(f'DROP INDEX IF EXISTS {name}')
