"""membership and marketing

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 12:03:01.642741
"""

import sqlalchemy as sa
from alembic import op

import motormall.platform.db
import motormall.platform.money

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("segment", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("offer_kind", sa.String(length=20), nullable=False),
        sa.Column("coupon_code", sa.String(length=40), nullable=True),
        sa.Column("discount", motormall.platform.money.Cents(), nullable=True),
        sa.Column("max_redemptions", sa.Integer(), nullable=True),
        sa.Column("per_customer", sa.Integer(), nullable=False),
        sa.Column("segment_only", sa.Boolean(), nullable=False),
        sa.Column("points_factor", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("budget", motormall.platform.money.Cents(), nullable=True),
        sa.Column("holdout_pct", sa.Integer(), nullable=False),
        sa.Column("starts_at", motormall.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", motormall.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("redeemed", sa.Integer(), nullable=False),
        sa.Column("spent", motormall.platform.money.Cents(), nullable=False),
        sa.Column("launched_at", motormall.platform.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", motormall.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_campaigns_ends_after_start")),
        sa.CheckConstraint(
            "redeemed >= 0 AND (max_redemptions IS NULL OR redeemed <= max_redemptions)",
            name=op.f("ck_campaigns_within_redemption_limit"),
        ),
        sa.CheckConstraint(
            "spent >= 0 AND (budget IS NULL OR spent <= budget)",
            name=op.f("ck_campaigns_within_budget"),
        ),
        sa.ForeignKeyConstraint(
            ["brand_id"], ["brands.id"], name=op.f("fk_campaigns_brand_id_brands")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaigns_launched_at"), ["launched_at"], unique=False)
        batch_op.create_index("uq_campaigns_coupon_code", ["coupon_code"], unique=True)

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
        "campaign_members",
        sa.Column("campaign_id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("holdout", sa.Boolean(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_members_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["users.id"],
            name=op.f("fk_campaign_members_customer_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "customer_id", name=op.f("pk_campaign_members")),
    )
    with op.batch_alter_table("campaign_members", schema=None) as batch_op:
        batch_op.create_index("ix_campaign_members_customer", ["customer_id"], unique=False)

    op.create_table(
        "coupon_redemptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("discount", motormall.platform.money.Cents(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("at", motormall.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("released_at", motormall.platform.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_coupon_redemptions_campaign_id_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["users.id"],
            name=op.f("fk_coupon_redemptions_customer_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_redemptions")),
    )
    with op.batch_alter_table("coupon_redemptions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_coupon_redemptions_customer", ["campaign_id", "customer_id", "status"], unique=False
        )
        batch_op.create_index("uq_coupon_redemptions_order", ["order_id"], unique=True)

    op.create_table(
        "marketing_consents",
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("updated_at", motormall.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["users.id"],
            name=op.f("fk_marketing_consents_customer_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", "channel", name=op.f("pk_marketing_consents")),
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
    op.drop_table("marketing_consents")
    with op.batch_alter_table("coupon_redemptions", schema=None) as batch_op:
        batch_op.drop_index("uq_coupon_redemptions_order")
        batch_op.drop_index("ix_coupon_redemptions_customer")

    op.drop_table("coupon_redemptions")
    with op.batch_alter_table("campaign_members", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_members_customer")

    op.drop_table("campaign_members")
    op.drop_table("membership_programmes")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index("uq_campaigns_coupon_code")
        batch_op.drop_index(batch_op.f("ix_campaigns_launched_at"))

    op.drop_table("campaigns")
