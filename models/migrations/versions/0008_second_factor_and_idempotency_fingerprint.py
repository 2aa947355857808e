"""second factor for staff, idempotency fingerprint of registrations

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 06:40:00.000000

`totp_credential` holds each staff account's authenticator secret (RFC 6238);
`auth_session.second_factor_pending` marks a session that may only enrol one;
`registration.input_fingerprint` binds a clientMutationId to the form it was sent with (forms
stored before have none: their key can no longer be replayed, which only a retry of an old
request would notice).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('totp_credential',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('secret', sa.String(length=64), nullable=False),
    sa.Column('created_at', models.types.UtcDateTime(), nullable=False),
    sa.Column('confirmed_at', models.types.UtcDateTime(), nullable=True),
    sa.Column('last_step', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ),
    sa.PrimaryKeyConstraint('account_id')
    )
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('second_factor_pending', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('input_fingerprint', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_column('input_fingerprint')
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.drop_column('second_factor_pending')
    op.drop_table('totp_credential')
