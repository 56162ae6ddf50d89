"""seams: who an event concerns, which dealers a customer dealt with, payables, refund jobs

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 11:27:24.671438
"""

import sqlalchemy as sa
from alembic import op

import motormall.platform.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "domain_event_dealers",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["domain_events.id"],
            name=op.f("fk_domain_event_dealers_event_id_domain_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "dealer_id", name=op.f("pk_domain_event_dealers")),
    )
    with op.batch_alter_table("domain_event_dealers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_domain_event_dealers_dealer", ["dealer_id", "event_id"], unique=False
        )
    op.create_table(
        "customer_dealers",
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.Column("via", sa.String(length=40), nullable=False),
        sa.Column("since", motormall.platform.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["users.id"],
            name=op.f("fk_customer_dealers_customer_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dealer_id"],
            ["dealers.id"],
            name=op.f("fk_customer_dealers_dealer_id_dealers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", "dealer_id", name=op.f("pk_customer_dealers")),
    )
    with op.batch_alter_table("customer_dealers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_dealers_dealer_id"), ["dealer_id"], unique=False
        )
    # what existed already: each event concerned the one dealer it named
    op.execute(
        "INSERT INTO domain_event_dealers (event_id, dealer_id) "
        "SELECT id, dealer_id FROM domain_events WHERE dealer_id IS NOT NULL"
    )
    op.execute(
        "INSERT INTO customer_dealers (customer_id, dealer_id, via, since) "
        "SELECT e.customer_id, e.dealer_id, MIN(e.entity_type), MIN(e.at) FROM domain_events e "
        "JOIN users u ON u.id = e.customer_id JOIN dealers d ON d.id = e.dealer_id "
        "GROUP BY e.customer_id, e.dealer_id"
    )

    with op.batch_alter_table("payment_intents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("payable", sa.String(length=20), nullable=False, server_default="order")
        )
        batch_op.add_column(
            sa.Column("payable_id", sa.String(length=32), nullable=False, server_default="")
        )
        batch_op.drop_constraint(
            batch_op.f("fk_payment_intents_order_id_orders"), type_="foreignkey"
        )
    op.execute("UPDATE payment_intents SET payable_id = order_id")
    with op.batch_alter_table("payment_intents", schema=None) as batch_op:
        batch_op.alter_column("payable", server_default=None)
        batch_op.alter_column("payable_id", server_default=None)

    with op.batch_alter_table("refunds", schema=None) as batch_op:
        # refunds before this revision were sent at once: they are done
        batch_op.add_column(
            sa.Column("status", sa.String(length=20), nullable=False, server_default="succeeded")
        )
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("last_error", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("settled_at", motormall.platform.db.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.alter_column("status", server_default=None)
        batch_op.alter_column("attempts", server_default=None)
    with op.batch_alter_table("sandbox_payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refund_ids", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("sandbox_payments", schema=None) as batch_op:
        batch_op.alter_column("refund_ids", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("sandbox_payments", schema=None) as batch_op:
        batch_op.drop_column("refund_ids")
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_column("settled_at")
        batch_op.drop_column("last_error")
        batch_op.drop_column("attempts")
        batch_op.drop_column("status")
    with op.batch_alter_table("payment_intents", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_payment_intents_order_id_orders"), "orders", ["order_id"], ["id"]
        )
        batch_op.drop_column("payable_id")
        batch_op.drop_column("payable")
    op.drop_table("customer_dealers")
    op.drop_table("domain_event_dealers")
