"""tower dealers: the dealers the carmaker assigns to a tower

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 11:30:00

Towers that already hold stock keep serving the dealers whose cars stand in them, so an
upgrade does not lock anyone out of a bay they use today.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tower_dealers",
        sa.Column("tower_id", sa.Integer(), nullable=False),
        sa.Column("dealer_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tower_id"],
            ["towers.id"],
            name=op.f("fk_tower_dealers_tower_id_towers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dealer_id"],
            ["dealers.id"],
            name=op.f("fk_tower_dealers_dealer_id_dealers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tower_id", "dealer_id", name=op.f("pk_tower_dealers")),
    )
    op.execute(
        "INSERT INTO tower_dealers (tower_id, dealer_id) "
        "SELECT DISTINCT tower_id, dealer_id FROM vehicles WHERE tower_id IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_table("tower_dealers")
