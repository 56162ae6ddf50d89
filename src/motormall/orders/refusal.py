"""A flash sale's losers refused in one read, before any write or its lock."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from motormall.catalog.models import Vehicle, VehicleStatus
from motormall.catalog.vin import normalise_vin
from motormall.orders.models import Order
from motormall.orders.rules import OrderStatus
from motormall.platform import idempotency
from motormall.platform.errors import Invalid

_vehicles, _orders = Vehicle.__table__, Order.__table__
# Built once: SQLAlchemy keys its compiled-statement cache on the statement object, and
# building this per call cost a refused buyer more than the read itself.
_PLAINLY_TAKEN = select(
    _vehicles.c.status,
    select(_orders.c.id)
    .where(
        _orders.c.vehicle_id == _vehicles.c.id,
        _orders.c.status == OrderStatus.reserved.value,
        _orders.c.expires_at <= bindparam("now"),
    )
    .exists()
    .label("lapsed"),
    idempotency.KEY_USED.label("key_used"),
).where(_vehicles.c.vin == bindparam("vin"))


def plainly_unavailable(
    conn: Session | Connection,
    vin: str,
    *,
    now: dt.datetime,
    key_scope: str | None = None,
    key: str | None = None,
) -> bool:
    """True when one read shows this request cannot reserve the car: taken, not by a lapsed
    hold, and not a repeat of an earlier request (a used `key` in `key_scope` replays its
    reply). Lets a flash sale's thousands of losers be refused without the write lock; the
    conditional UPDATE in `reserve` stays the guard for everyone else."""
    try:
        vin = normalise_vin(vin)
    except Invalid:
        return False
    row = conn.execute(
        _PLAINLY_TAKEN, {"vin": vin, "now": now, "key_scope": key_scope, "key": key}
    ).first()
    if (
        row is None
        or row.key_used
        or row.status in (VehicleStatus.available, VehicleStatus.withdrawn)
    ):
        return False
    return not (row.status == VehicleStatus.reserved and row.lapsed)
