"""Catalog views as facts: a signed-in customer's look at a car's page becomes a
`catalog.vehicle_viewed` event, written by a job after the page was answered (the page
itself only reads). Reloads and back-and-forth within VIEW_WINDOW are one view."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from motormall.catalog.events import VehicleViewed
from motormall.catalog.models import Vehicle
from motormall.platform import events, jobs
from motormall.platform.auth import Principal, Role
from motormall.platform.events import DomainEvent

VIEW_WINDOW = dt.timedelta(minutes=30)
log = logging.getLogger(__name__)


def queue(who: Principal | None, vin: str, *, now: dt.datetime) -> None:
    """Called by the car's HTML page for a signed-in customer (the JSON API's GET /vehicles
    records nothing): the job writes the fact, the page only reads. A queue that is down
    costs the view, never the page."""
    if who is None or who.role != Role.customer:
        return
    try:
        jobs.send("catalog.record_view", (who.user_id, vin, now.isoformat()), None)
    except jobs.QUEUE_DOWN:
        log.warning("a view of %s was not recorded: the job queue is down", vin)


def record(session: Session, customer_id: str, vin: str, *, at: dt.datetime) -> bool:
    """Record one view; False when the same customer saw the same car within the window
    (or the car is gone)."""
    seen = session.scalar(
        select(DomainEvent.id)
        .where(
            DomainEvent.customer_id == customer_id,
            DomainEvent.type == VehicleViewed.type,
            DomainEvent.entity_id == vin,
            DomainEvent.at > at - VIEW_WINDOW,
        )
        .limit(1)
    )
    vehicle = session.scalar(select(Vehicle).where(Vehicle.vin == vin))
    if seen is not None or vehicle is None:
        return False
    events.publish(
        session,
        VehicleViewed(
            entity_id=vin,
            customer_id=customer_id,
            dealer_ids=(vehicle.dealer_id,),
            at=at,
            vin=vin,
            trim=f"{vehicle.trim.model.brand.name} {vehicle.trim.model.name} {vehicle.trim.name}",
        ),
    )
    return True
