"""A vehicle's state belongs to catalog: other domains claim, release and sell a car through
these functions and never write `vehicles.status` themselves.

Each change is one conditional UPDATE, so of two transactions racing for the same car exactly
one sees its row change (SQLite queues writers with BEGIN IMMEDIATE; PostgreSQL re-checks the
condition after the first writer commits). The caller turns a lost race into its own domain
error (`vehicle_unavailable`, `slot_taken`, ...).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.orm import Session

from motormall.catalog.models import Vehicle, VehicleStatus

S = VehicleStatus


def _move(session: Session, vehicle_id: int, *, frm: set[S] | None, to: S, now, **extra) -> bool:
    stmt = update(Vehicle).where(Vehicle.id == vehicle_id)
    if frm is not None:
        stmt = stmt.where(Vehicle.status.in_([s.value for s in frm]))
    return session.execute(stmt.values(status=to.value, updated_at=now, **extra)).rowcount == 1


def claim(session: Session, vehicle_id: int, *, for_: S = S.reserved, now: dt.datetime) -> bool:
    """Take an available car for an order (`reserved`) or a test drive; False if it was not
    available any more."""
    return _move(session, vehicle_id, frm={S.available}, to=for_, now=now)


def release(session: Session, vehicle_id: int, *, now: dt.datetime) -> bool:
    """A hold or test drive ended: the car is for sale again."""
    return _move(session, vehicle_id, frm={S.reserved, S.test_drive}, to=S.available, now=now)


def convert_drive_to_hold(session: Session, vehicle_id: int, *, now: dt.datetime) -> bool:
    """A test drive turned into an order: the car goes from `test_drive` straight to
    `reserved`, never `available` in between; False if it was not on a drive."""
    return _move(session, vehicle_id, frm={S.test_drive}, to=S.reserved, now=now)


def sell(session: Session, vehicle_id: int, *, now: dt.datetime) -> bool:
    """Handed over to its buyer; a car driven out of a tower frees its bay."""
    return _move(session, vehicle_id, frm={S.reserved}, to=S.sold, now=now, tower_id=None, bay=None)


def take_back(session: Session, vehicle_id: int, *, now: dt.datetime) -> bool:
    """A sold car returned within its window: back with the dealer but no longer new, so it
    is withdrawn until the dealer lists it again."""
    return _move(session, vehicle_id, frm={S.sold}, to=S.withdrawn, now=now)
