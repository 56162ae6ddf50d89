"""finance mandate provider reference (Alipay's agreement_no, which each debit names);
contract PDF and its digest written after the offer (nullable until then)

Revision ID: 0019
Revises: 0014
Create Date: 2026-11-29 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("finance_mandates") as batch:
        batch.add_column(sa.Column("provider_ref", sa.String(length=64), nullable=True))
    with op.batch_alter_table("finance_contracts") as batch:
        batch.alter_column("pdf", existing_type=sa.LargeBinary(), nullable=True)
        batch.alter_column("sha256", existing_type=sa.String(length=64), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("finance_contracts") as batch:
        batch.alter_column("sha256", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("pdf", existing_type=sa.LargeBinary(), nullable=False)
    with op.batch_alter_table("finance_mandates") as batch:
        batch.drop_column("provider_ref")
