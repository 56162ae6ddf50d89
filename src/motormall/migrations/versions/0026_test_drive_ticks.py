"""test drive holds in quarter-hour ticks: a booked slot held only at its start now holds
every tick of its time, so a later change of slot length cannot overlap it

Revision ID: 0026
Revises: 0023
Create Date: 2026-11-29 18:10:00
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

from motormall.platform.db import UTCDateTime

revision = "0026"
down_revision = "0023"
branch_labels = None
depends_on = None

TICK = dt.timedelta(minutes=15)
drives = sa.table("test_drives", sa.column("id", sa.String), sa.column("ends_at", UTCDateTime()))
lanes = sa.table(
    "test_drive_slots",
    sa.column("dealer_id", sa.Integer),
    sa.column("slot_start", UTCDateTime()),
    sa.column("lane", sa.Integer),
    sa.column("drive_id", sa.String),
)
cars = sa.table(
    "test_drive_car_slots",
    sa.column("vehicle_id", sa.Integer),
    sa.column("slot_start", UTCDateTime()),
    sa.column("drive_id", sa.String),
)


def _later_ticks(start: dt.datetime, ends_at: dt.datetime):
    tick = start + TICK
    while tick < ends_at:
        yield tick
        tick += TICK


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            lanes.c.dealer_id, lanes.c.slot_start, lanes.c.lane, lanes.c.drive_id, drives.c.ends_at
        ).join(drives, drives.c.id == lanes.c.drive_id)
    ).all()
    extra = [
        {"dealer_id": d, "slot_start": t, "lane": lane, "drive_id": drive}
        for d, start, lane, drive, ends_at in rows
        for t in _later_ticks(start, ends_at)
    ]
    if extra:
        bind.execute(lanes.insert(), extra)
    rows = bind.execute(
        sa.select(cars.c.vehicle_id, cars.c.slot_start, cars.c.drive_id, drives.c.ends_at).join(
            drives, drives.c.id == cars.c.drive_id
        )
    ).all()
    extra = [
        {"vehicle_id": v, "slot_start": t, "drive_id": drive}
        for v, start, drive, ends_at in rows
        for t in _later_ticks(start, ends_at)
    ]
    if extra:
        bind.execute(cars.insert(), extra)


def downgrade() -> None:
    """Back to one row per drive: its first tick."""
    bind = op.get_bind()
    for table in (lanes, cars):
        first = sa.func.min(table.c.slot_start)
        for drive, start in bind.execute(
            sa.select(table.c.drive_id, first).group_by(table.c.drive_id)
        ).all():
            bind.execute(
                table.delete().where(table.c.drive_id == drive, table.c.slot_start != start)
            )
