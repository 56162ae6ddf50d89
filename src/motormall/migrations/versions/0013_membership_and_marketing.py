"""membership and marketing

Revision ID: 0013
Revises: 0009
Create Date: 2026-11-29 11:56:01.572300
"""

import sqlalchemy as sa
from alembic import op

import motormall.platform.db
import motormall.platform.money

revision = "0013"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "membership_programmes",
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("updated_at", motormall.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_membership_programmes_brand_id_brands")
        ),
        sa.PrimaryKeyConstraint("brand_id", name=op.f("pk_membership_programmes")),
    )
    op.create_table(
        "memberships",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=20), nullable=False),
        sa.Column("tier_rank", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("joined_at", motormall.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", motormall.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("points >= 0", name=op.f("ck_memberships_points_not_negative")),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_memberships_brand_id_brands")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["users.id"],
            name=op.f("fk_memberships_customer_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
    )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.create_index("ix_memberships_brand_tier", ["brand_id", "tier_rank"], unique=False)
        batch_op.create_index(
            "uq_memberships_customer_brand", ["customer_id", "brand_id"], unique=True
        )

    op.create_table(
        "points_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("spend", motormall.platform.money.Cents(), nullable=True),
        sa.Column("expires_at", motormall.platform.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("at", motormall.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'earn' AND points > 0 AND lot_id IS NULL) OR "
            "(kind <> 'earn' AND points < 0 AND lot_id IS NOT NULL)",
            name=op.f("ck_points_entries_signed_by_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["points_entries.id"], name=op.f("fk_points_entries_lot_id_points_entries")
        ),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_points_entries_membership_id_memberships"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_entries")),
    )
    with op.batch_alter_table("points_entries", schema=None) as batch_op:
        batch_op.create_index("ix_points_entries_expiry", ["kind", "expires_at"], unique=False)
        batch_op.create_index("ix_points_entries_lot", ["lot_id"], unique=False)
        batch_op.create_index("ix_points_entries_membership", ["membership_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("points_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_points_entries_membership")
        batch_op.drop_index("ix_points_entries_lot")
        batch_op.drop_index("ix_points_entries_expiry")

    op.drop_table("points_entries")
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_index("uq_memberships_customer_brand")
        batch_op.drop_index("ix_memberships_brand_tier")

    op.drop_table("memberships")
    op.drop_table("membership_programmes")
