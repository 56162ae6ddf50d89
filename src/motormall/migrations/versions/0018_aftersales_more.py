"""after-sales, continued: reminders and maintenance notices; recalls; part reservations;
complaint cases and the question after a case closes

Revision ID: 0018
Revises: 0014
Create Date: 2026-11-29 14:30:00
"""

import sqlalchemy as sa
from alembic import op

import motormall.platform.db

revision = "0018"
down_revision = "0016"
branch_labels = None
depends_on = None

UTC = motormall.platform.db.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("service_appointments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminded_at", UTC(), nullable=True))
    op.create_table(
        "maintenance_notices",
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("since", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("sent_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("vin", "since"),
    )
    op.create_table(
        "recalls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=True),
        sa.Column("vin_from", sa.String(length=17), nullable=True),
        sa.Column("vin_to", sa.String(length=17), nullable=True),
        sa.Column("vins", sa.JSON(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["brand_id"], ["brands.id"]),
        sa.ForeignKeyConstraint(["model_id"], ["car_models.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "recall_notices",
        sa.Column("recall_id", sa.Integer(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("notified_at", UTC(), nullable=False),
        sa.Column("repaired_at", UTC(), nullable=True),
        sa.ForeignKeyConstraint(["recall_id"], ["recalls.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["customer_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("recall_id", "vin"),
    )
    op.create_index("ix_recall_notices_customer", "recall_notices", ["customer_id"])
    with op.batch_alter_table("part_stock", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reserved", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_check_constraint(
            "reserved_within_on_hand", "reserved >= 0 AND reserved <= on_hand"
        )
    op.create_table(
        "part_reservations",
        sa.Column("appointment_id", sa.String(length=32), nullable=False),
        sa.Column("part_no", sa.String(length=40), nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.CheckConstraint("qty > 0", name="reservation_qty_positive"),
        sa.ForeignKeyConstraint(
            ["appointment_id"], ["service_appointments.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["part_no"], ["parts.part_no"]),
        sa.ForeignKeyConstraint(["dealer_id"], ["dealers.id"]),
        sa.PrimaryKeyConstraint("appointment_id", "part_no"),
    )

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=20), nullable=False, server_default="survey")
        )
        batch_op.add_column(sa.Column("about", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("text", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("resolutions", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resolved", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.drop_column("resolved")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        for column in ("resolutions", "text", "about", "source"):
            batch_op.drop_column(column)
    op.drop_table("part_reservations")
    with op.batch_alter_table("part_stock", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_part_stock_reserved_within_on_hand"), type_="check")
        batch_op.drop_column("reserved")
    op.drop_index("ix_recall_notices_customer", table_name="recall_notices")
    op.drop_table("recall_notices")
    op.drop_table("recalls")
    op.drop_table("maintenance_notices")
    with op.batch_alter_table("service_appointments", schema=None) as batch_op:
        batch_op.drop_column("reminded_at")
