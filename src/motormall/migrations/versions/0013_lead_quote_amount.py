"""lead quote amount and dealer contact: what the buyer's inquiries page shows

The price a dealer quoted on a lead; a dealer's address, phone and Chinese display name.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 12:30:00
"""

import sqlalchemy as sa
from alembic import op

import motormall.platform.money

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lead_events") as batch:
        batch.add_column(sa.Column("amount", motormall.platform.money.Cents(), nullable=True))
    with op.batch_alter_table("dealers") as batch:
        batch.add_column(sa.Column("name_zh", sa.String(length=160), nullable=True))
        batch.add_column(sa.Column("address", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("phone", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dealers") as batch:
        batch.drop_column("phone")
        batch.drop_column("address")
        batch.drop_column("name_zh")
    with op.batch_alter_table("lead_events") as batch:
        batch.drop_column("amount")
