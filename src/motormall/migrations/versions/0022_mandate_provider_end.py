"""finance mandates: whether the provider has been told that a mandate we ended is over
(Alipay's agreement unsign), with the attempts and the last refusal

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-29 17:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("finance_mandates") as batch:
        batch.add_column(sa.Column("provider_end", sa.String(length=10), nullable=True))
        batch.add_column(
            sa.Column("end_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("end_error", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("finance_mandates") as batch:
        batch.drop_column("end_error")
        batch.drop_column("end_attempts")
        batch.drop_column("provider_end")
