"""customer merges: one account folded into another, reversibly

Revision ID: 0021
Revises: 0019
Create Date: 2026-11-29 15:45:00
"""

import sqlalchemy as sa
from alembic import op

import motormall.platform.db

revision = "0021"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_merges",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("merged_id", sa.String(length=32), nullable=False),
        sa.Column("survivor_id", sa.String(length=32), nullable=False),
        sa.Column("at", motormall.platform.db.UTCDateTime(), nullable=False),
        sa.Column("by_id", sa.String(length=32), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("undone_at", motormall.platform.db.UTCDateTime(), nullable=True),
        sa.Column("undone_by_id", sa.String(length=32), nullable=True),
        sa.CheckConstraint("merged_id <> survivor_id", name="ck_customer_merges_not_self"),
        sa.ForeignKeyConstraint(["merged_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["survivor_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["undone_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_customer_merges_survivor_id", "customer_merges", ["survivor_id"], unique=False
    )
    op.create_index(
        "uq_customer_merges_live",
        "customer_merges",
        ["merged_id"],
        unique=True,
        sqlite_where=sa.text("undone_at IS NULL"),
        postgresql_where=sa.text("undone_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_customer_merges_live", table_name="customer_merges")
    op.drop_index("ix_customer_merges_survivor_id", table_name="customer_merges")
    op.drop_table("customer_merges")
