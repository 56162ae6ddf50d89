"""after-sales: service appointments and the bay slots they hold; surveys and cases;
parts and dealer stock

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

    op.create_table(
        "surveys",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.Column("about", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("expires_at", UTC(), nullable=False),
        sa.Column("answered_at", UTC(), nullable=True),
        sa.Column("csat", sa.Integer(), nullable=True),
        sa.Column("nps", sa.Integer(), nullable=True),
        sa.Column("incentive_offered", sa.Boolean(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.CheckConstraint("csat IS NULL OR csat BETWEEN 1 AND 5", name="csat_range"),
        sa.CheckConstraint("nps IS NULL OR nps BETWEEN 0 AND 10", name="nps_range"),
        sa.ForeignKeyConstraint(["customer_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["dealer_id"], ["dealers.id"]),
        sa.PrimaryKeyConstraint("token"),
    )
    op.create_index("uq_surveys_subject", "surveys", ["about", "subject_id"], unique=True)
    op.create_index("ix_surveys_customer", "surveys", ["customer_id", "expires_at"])
    op.create_index("ix_surveys_dealer", "surveys", ["dealer_id", "answered_at"])
    op.create_table(
        "cases",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("survey_token", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("due_at", UTC(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("escalated_at", UTC(), nullable=True),
        sa.Column("resolved_at", UTC(), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["dealer_id"], ["dealers.id"]),
        sa.ForeignKeyConstraint(["survey_token"], ["surveys.token"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("survey_token"),
    )
    op.create_index("ix_cases_dealer", "cases", ["dealer_id", "id"])
    op.create_index("ix_cases_due", "cases", ["status", "due_at"])
    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.String(length=32), nullable=True),
        sa.Column("at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_case_events_case", "case_events", ["case_id", "id"])
    op.create_table(
        "parts",
        sa.Column("part_no", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["model_id"], ["car_models.id"]),
        sa.PrimaryKeyConstraint("part_no"),
    )
    op.create_index("ix_parts_model_id", "parts", ["model_id"])
    op.create_table(
        "part_stock",
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.Column("part_no", sa.String(length=40), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("reorder_level", sa.Integer(), nullable=False),
        sa.CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        sa.ForeignKeyConstraint(["dealer_id"], ["dealers.id"]),
        sa.ForeignKeyConstraint(["part_no"], ["parts.part_no"]),
        sa.PrimaryKeyConstraint("dealer_id", "part_no"),
    )


def downgrade() -> None:
    op.drop_table("part_stock")
    op.drop_index("ix_parts_model_id", table_name="parts")
    op.drop_table("parts")
    op.drop_index("ix_case_events_case", table_name="case_events")
    op.drop_table("case_events")
    op.drop_index("ix_cases_due", table_name="cases")
    op.drop_index("ix_cases_dealer", table_name="cases")
    op.drop_table("cases")
    op.drop_index("ix_surveys_dealer", table_name="surveys")
    op.drop_index("ix_surveys_customer", table_name="surveys")
    op.drop_index("uq_surveys_subject", table_name="surveys")
    op.drop_table("surveys")
    op.drop_index("ix_service_bay_slots_appointment", table_name="service_bay_slots")
    op.drop_table("service_bay_slots")
    op.drop_index("ix_service_appointments_customer", table_name="service_appointments")
    op.drop_index("ix_service_appointments_dealer", table_name="service_appointments")
    op.drop_index("ix_service_appointments_vin", table_name="service_appointments")
    op.drop_table("service_appointments")
