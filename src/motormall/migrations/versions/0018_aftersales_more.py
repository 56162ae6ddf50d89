"""after-sales, continued: reminders and maintenance notices

Revision ID: 0018
Revises: 0014
Create Date: 2026-11-29 14:30:00
"""

import sqlalchemy as sa
from alembic import op

import motormall.platform.db

revision = "0018"
down_revision = "0014"
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


def downgrade() -> None:
    op.drop_table("maintenance_notices")
    with op.batch_alter_table("service_appointments", schema=None) as batch_op:
        batch_op.drop_column("reminded_at")
