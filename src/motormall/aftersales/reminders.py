"""Messages that bring cars back to the workshop: the day-before reminder of an appointment,
and "maintenance is due" by time since the last maintenance (or the handover) or by the
odometer last seen. No HTTP; flushes, never commits."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from motormall.aftersales import rules
from motormall.aftersales.models import MaintenanceNotice, ServiceAppointment
from motormall.aftersales.owners import owners
from motormall.catalog.models import Dealer
from motormall.notifications.service import notify
from motormall.orders.models import Order


def remind(session: Session, appointment_id: str, start: dt.datetime, *, now: dt.datetime) -> bool:
    """Send the reminder queued for an appointment at `start`, if it still starts then and is
    booked, and was not reminded yet (a conditional UPDATE: a job run twice sends once)."""
    done = session.execute(
        update(ServiceAppointment)
        .where(
            ServiceAppointment.id == appointment_id,
            ServiceAppointment.status == "booked",
            ServiceAppointment.start_at == start,
            ServiceAppointment.reminded_at.is_(None),
        )
        .values(reminded_at=now)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        return False
    appt = session.get(ServiceAppointment, appointment_id)
    dealer = session.get(Dealer, appt.dealer_id)
    local = start.astimezone(ZoneInfo(dealer.timezone))
    notify(
        session,
        appt.customer_id,
        "service_reminder",
        link="/me/service",
        now=now,
        vin=appt.vin,
        dealer=dealer.name,
        when=local.strftime("%Y-%m-%d %H:%M"),
    )
    return True


def _cars(session: Session) -> dict[str, dict]:
    """Per VIN: the start of its maintenance period (`since`, `at`, `km`) and the highest
    odometer reading seen since."""
    cars: dict[str, dict] = {}
    for order_id, vin, at, km in session.execute(
        select(Order.id, Order.vin, Order.handed_over_at, Order.odometer_at_handover)
        .where(Order.status == "handed_over")
        .order_by(Order.handed_over_at)
    ):
        cars[vin] = {"since": f"order:{order_id}", "at": at, "km": km, "last_km": km}
    visits = session.execute(
        select(
            ServiceAppointment.id,
            ServiceAppointment.vin,
            ServiceAppointment.kind,
            ServiceAppointment.completed_at,
            ServiceAppointment.odometer_km,
        )
        .where(ServiceAppointment.status == "completed")
        .order_by(ServiceAppointment.completed_at, ServiceAppointment.id)
    )
    for visit_id, vin, kind, at, km in visits:
        car = cars.get(vin)
        if car is None or (kind == "maintenance" and at >= car["at"]):
            # a maintenance visit (or the first visit of a car not sold here) starts a period
            cars[vin] = {"since": f"visit:{visit_id}", "at": at, "km": km, "last_km": km}
        elif at >= car["at"] and km is not None:
            car["last_km"] = max(car["last_km"] or 0, km)
    return cars


def send_maintenance_due(session: Session, *, now: dt.datetime) -> int:
    """Tell each owner whose car is due (and has no maintenance visit booked ahead), once per
    maintenance period: the notice row's key (VIN, period start) stops a second message."""
    cars = _cars(session)
    booked = set(
        session.scalars(
            select(ServiceAppointment.vin).where(
                ServiceAppointment.status == "booked",
                ServiceAppointment.kind == "maintenance",
                ServiceAppointment.start_at > now,
            )
        )
    )
    sent = {
        (vin, since)
        for vin, since in session.execute(select(MaintenanceNotice.vin, MaintenanceNotice.since))
    }
    due = {}
    for vin, car in cars.items():
        if vin in booked or (vin, car["since"]) in sent:
            continue
        why = rules.maintenance_due(
            base_at=car["at"], base_km=car["km"], last_km=car["last_km"], now=now
        )
        if why:
            due[vin] = why
    owner_of = owners(session, due)
    count = 0
    for vin in sorted(due):
        car, why = cars[vin], due[vin]
        try:
            with session.begin_nested():
                session.add(
                    MaintenanceNotice(
                        vin=vin,
                        since=car["since"],
                        customer_id=owner_of[vin],
                        reason=why,
                        sent_at=now,
                    )
                )
                session.flush()
        except IntegrityError:
            continue  # another run sent it a moment ago
        km = (car["last_km"] or 0) - (car["km"] or 0)
        notify(
            session,
            owner_of[vin],
            f"maintenance_due_{why}",
            link="/me/service",
            now=now,
            vin=vin,
            km=f"{km:,}",
        )
        count += 1
    return count
