"""answer origins: survey answers' and staff logins' network/device hashes, comment mood,
and the survey's public ref (the token's first 12 characters, which events carry)

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-29 17:30:00
"""

import sqlalchemy as sa
from alembic import op

import motormall.platform.db

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_origins",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("hash", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column("first_seen", motormall.platform.db.UTCDateTime(), nullable=False),
        sa.Column("last_seen", motormall.platform.db.UTCDateTime(), nullable=False),
        sa.Column("logins", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["dealer_id"], ["dealers.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("uq_staff_origins", "staff_origins", ["dealer_id", "kind", "hash"], unique=True)
    with op.batch_alter_table("surveys") as batch:
        batch.add_column(sa.Column("answer_network", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("answer_device", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("comment_mood", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("ref", sa.String(length=12), nullable=True))
    op.execute("UPDATE surveys SET ref = substr(token, 1, 12)")
    op.create_index("ix_surveys_ref", "surveys", ["ref"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_surveys_ref", table_name="surveys")
    with op.batch_alter_table("surveys") as batch:
        batch.drop_column("ref")
        batch.drop_column("comment_mood")
        batch.drop_column("answer_device")
        batch.drop_column("answer_network")
    op.drop_index("uq_staff_origins", table_name="staff_origins")
    op.drop_table("staff_origins")
