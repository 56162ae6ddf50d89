"""customer identities: sealed ID number, ID photo and face template, consent

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 10:00:00
"""

import sqlalchemy as sa
from alembic import op

import motormall.platform.db

revision = "0015"
down_revision = "0020"
branch_labels = None
depends_on = None

UTC = motormall.platform.db.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "customer_identities",
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("id_number", sa.LargeBinary(), nullable=False),
        sa.Column("id_number_hash", sa.String(length=64), nullable=False),
        sa.Column("id_number_last4", sa.String(length=4), nullable=False),
        sa.Column("id_photo", sa.LargeBinary(), nullable=True),
        sa.Column("consent_biometrics", sa.Boolean(), nullable=False),
        sa.Column("consent_at", UTC(), nullable=True),
        sa.Column("face_template", sa.LargeBinary(), nullable=True),
        sa.Column("face_dimensions", sa.Integer(), nullable=True),
        sa.Column("face_model_version", sa.String(length=40), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.CheckConstraint(
            "face_template IS NULL OR consent_biometrics",
            name="ck_customer_identities_template_needs_consent",
        ),
        sa.CheckConstraint(
            "(face_template IS NULL) = (face_dimensions IS NULL)",
            name="ck_customer_identities_template_dimensions",
        ),
        sa.ForeignKeyConstraint(["customer_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_index(
        "ix_customer_identities_id_number_hash", "customer_identities", ["id_number_hash"]
    )


def downgrade() -> None:
    op.drop_index("ix_customer_identities_id_number_hash", table_name="customer_identities")
    op.drop_table("customer_identities")
