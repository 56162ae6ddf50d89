"""after-sales: service appointments and the bay slots they hold

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 13:30:00
"""

import sqlalchemy as sa
from alembic import op

import motormall.platform.db

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

UTC = motormall.platform.db.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "service_appointments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("bay", sa.Integer(), nullable=False),
        sa.Column("start_at", UTC(), nullable=False),
        sa.Column("end_at", UTC(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("cancelled_at", UTC(), nullable=True),
        sa.Column("completed_at", UTC(), nullable=True),
        sa.Column("completed_by", sa.String(length=32), nullable=True),
        sa.Column("odometer_km", sa.Integer(), nullable=True),
        sa.Column("work", sa.Text(), nullable=True),
        sa.Column("parts", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["dealer_id"], ["dealers.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_service_appointments_vin", "service_appointments", ["vin", "start_at"])
    op.create_index(
        "ix_service_appointments_dealer", "service_appointments", ["dealer_id", "start_at"]
    )
    op.create_index(
        "ix_service_appointments_customer", "service_appointments", ["customer_id", "start_at"]
    )
    op.create_table(
        "service_bay_slots",
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.Column("bay", sa.Integer(), nullable=False),
        sa.Column("slot_start", UTC(), nullable=False),
        sa.Column("appointment_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["dealer_id"], ["dealers.id"]),
        sa.ForeignKeyConstraint(
            ["appointment_id"], ["service_appointments.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("dealer_id", "bay", "slot_start"),
    )
    op.create_index("ix_service_bay_slots_appointment", "service_bay_slots", ["appointment_id"])


def downgrade() -> None:
    op.drop_index("ix_service_bay_slots_appointment", table_name="service_bay_slots")
    op.drop_table("service_bay_slots")
    op.drop_index("ix_service_appointments_customer", table_name="service_appointments")
    op.drop_index("ix_service_appointments_dealer", table_name="service_appointments")
    op.drop_index("ix_service_appointments_vin", table_name="service_appointments")
    op.drop_table("service_appointments")
