"""Service appointments: free times, booking a bay, cancelling, completing a visit, and the
VIN's service history. No HTTP; flushes, never commits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from motormall.aftersales import parts as parts_service
from motormall.aftersales import recalls, rules
from motormall.aftersales.events import (
    ServiceBooked,
    ServiceCancelled,
    ServiceCompleted,
    ServiceRescheduled,
)
from motormall.aftersales.models import BaySlot, ServiceAppointment
from motormall.catalog.models import Dealer
from motormall.catalog.vin import normalise_vin
from motormall.orders.models import Order
from motormall.platform import events, jobs
from motormall.platform.auth import Principal
from motormall.platform.errors import Conflict, Invalid, NotFound


def dealer_by_code(session: Session, code: str) -> Dealer:
    dealer = session.scalar(select(Dealer).where(Dealer.code == str(code).strip().upper()))
    if dealer is None:
        raise NotFound("dealer_not_found", f"No dealer {code!r}.")
    return dealer


def _check_kind(kind: str) -> None:
    if kind not in rules.KINDS:
        raise Invalid("invalid_kind", f"kind must be one of: {', '.join(rules.KINDS)}.")


def _taken(session: Session, dealer_id: int, starts: list[dt.datetime]) -> set:
    """(bay, slot start) pairs already held among `starts`."""
    rows = session.execute(
        select(BaySlot.bay, BaySlot.slot_start).where(
            BaySlot.dealer_id == dealer_id, BaySlot.slot_start.in_(starts)
        )
    )
    return {(bay, start) for bay, start in rows}


def free_starts(
    session: Session, dealer: Dealer, day: dt.date, kind: str, *, now: dt.datetime
) -> list[dt.datetime]:
    """Start times on `day` (dealer's local date) at which some bay is free for the whole job."""
    _check_kind(kind)
    starts = rules.candidate_starts(dealer.opening_hours, dealer.timezone, day, kind, now=now)
    if not starts:
        return []
    every = sorted({s for start in starts for s in rules.slots_of(start, kind)})
    taken = _taken(session, dealer.id, every)
    return [
        start
        for start in starts
        if any(
            all((bay, s) not in taken for s in rules.slots_of(start, kind))
            for bay in range(1, dealer.service_bays + 1)
        )
    ]


@dataclass(frozen=True)
class BookRequest:
    vin: str
    dealer: str
    start: dt.datetime
    kind: str


def _checked_start(dealer: Dealer, start: dt.datetime, kind: str, *, now: dt.datetime):
    start = start if start.tzinfo else start.replace(tzinfo=dt.UTC)
    why = rules.fits(dealer.opening_hours, dealer.timezone, start, kind, now=now)
    if why == "appointment_in_past":
        raise Invalid(why, "The appointment must start in the future.")
    if why:
        raise Invalid(why, "The job does not fit in the dealer's opening hours at that time.")
    return start.astimezone(dt.UTC)


def _hold_bay(
    session: Session, dealer: Dealer, appointment: ServiceAppointment, start: dt.datetime
) -> bool:
    """Give `appointment` the first bay free for its whole job from `start` (its old slots,
    if any, are given up in the same savepoint). The slot rows' primary key settles a race:
    a loser of one bay tries the next. False if no bay is free (nothing changed)."""
    slots = rules.slots_of(start, appointment.kind)
    taken = {
        (bay, s)
        for bay, s, owner in session.execute(
            select(BaySlot.bay, BaySlot.slot_start, BaySlot.appointment_id).where(
                BaySlot.dealer_id == dealer.id, BaySlot.slot_start.in_(slots)
            )
        )
        if owner != appointment.id
    }
    for bay in range(1, dealer.service_bays + 1):
        if any((bay, s) in taken for s in slots):
            continue
        try:
            with session.begin_nested():
                if inspect(appointment).persistent:
                    session.execute(delete(BaySlot).where(BaySlot.appointment_id == appointment.id))
                else:
                    session.add(appointment)
                appointment.bay, appointment.start_at = bay, start
                appointment.end_at = start + rules.duration(appointment.kind)
                session.flush()
                session.add_all(
                    BaySlot(
                        dealer_id=dealer.id, bay=bay, slot_start=s, appointment_id=appointment.id
                    )
                    for s in slots
                )
                session.flush()
        except IntegrityError:
            continue  # another booking took this bay a moment ago
        return True
    return False


def _queue_reminder(session: Session, appt: ServiceAppointment, *, now: dt.datetime) -> None:
    """The day-before reminder, queued after commit to run at its time; the job checks that
    the appointment still starts then (a cancelled or moved one is not reminded)."""
    at = rules.reminder_at(appt.start_at, now=now)
    if at is not None:
        jobs.after_commit(
            session,
            "aftersales.remind",
            appt.id,
            appt.start_at.isoformat(),
            delay=(at - now).total_seconds(),
        )


def book(
    session: Session, who: Principal, req: BookRequest, *, now: dt.datetime
) -> ServiceAppointment:
    """Hold the first bay free for the whole job; with none left, 409 `slot_taken`."""
    _check_kind(req.kind)
    vin = normalise_vin(req.vin)
    dealer = dealer_by_code(session, req.dealer)
    start = _checked_start(dealer, req.start, req.kind, now=now)
    appointment = ServiceAppointment(
        customer_id=who.user_id, dealer_id=dealer.id, vin=vin, kind=req.kind, created_at=now
    )
    if not _hold_bay(session, dealer, appointment, start):
        raise Conflict("slot_taken", "No bay is free for that time; choose another start time.")
    events.publish(
        session,
        ServiceBooked(
            entity_id=appointment.id,
            customer_id=who.user_id,
            dealer_ids=(dealer.id,),
            at=now,
            vin=vin,
            kind=req.kind,
            start=start.isoformat(),
        ),
    )
    _queue_reminder(session, appointment, now=now)
    return appointment


def reschedule(
    session: Session, who: Principal, appointment_id: str, start: dt.datetime, *, now: dt.datetime
) -> ServiceAppointment:
    """Move a booked appointment to `start` under the booking's rules (opening hours, the
    future, a free bay). Moving it to where it already is changes nothing; with no bay free
    at the new time it keeps its old time and 409 `slot_taken`."""
    appt = appointment_for(session, who, appointment_id, lock=True)
    if appt.status != "booked":
        raise Conflict("appointment_not_reschedulable", "Only a booked appointment can be moved.")
    dealer = session.get(Dealer, appt.dealer_id)
    start = _checked_start(dealer, start, appt.kind, now=now)
    if start == appt.start_at:
        return appt
    previous = appt.start_at
    if not _hold_bay(session, dealer, appt, start):
        raise Conflict("slot_taken", "No bay is free for that time; choose another start time.")
    appt.reminded_at = None
    events.publish(
        session,
        ServiceRescheduled(
            entity_id=appt.id,
            customer_id=appt.customer_id,
            dealer_ids=(appt.dealer_id,),
            at=now,
            vin=appt.vin,
            start=start.isoformat(),
            previous_start=previous.isoformat(),
        ),
    )
    _queue_reminder(session, appt, now=now)
    return appt


def appointment_for(
    session: Session, who: Principal, appointment_id: str, *, lock: bool = False
) -> ServiceAppointment:
    """The appointment if `who` is its customer, its dealer's staff or the carmaker (else 404)."""
    stmt = select(ServiceAppointment).where(ServiceAppointment.id == appointment_id)
    appt = session.scalar(stmt.with_for_update() if lock else stmt)
    visible = appt is not None and (
        who.is_admin
        or (who.is_dealer and who.dealer_id == appt.dealer_id)
        or appt.customer_id == who.user_id
    )
    if not visible:
        raise NotFound("not_found", "No such appointment.")
    return appt


def cancel(
    session: Session, who: Principal, appointment_id: str, *, now: dt.datetime
) -> ServiceAppointment:
    """Free the bay; cancelling twice is harmless, a completed visit cannot be cancelled."""
    appt = appointment_for(session, who, appointment_id, lock=True)
    if appt.status == "cancelled":
        return appt
    if appt.status != "booked":
        raise Conflict("appointment_not_cancellable", "A completed visit cannot be cancelled.")
    appt.status, appt.cancelled_at = "cancelled", now
    session.execute(delete(BaySlot).where(BaySlot.appointment_id == appt.id))
    parts_service.release(session, appt.id)
    events.publish(
        session,
        ServiceCancelled(
            entity_id=appt.id,
            customer_id=appt.customer_id,
            dealer_ids=(appt.dealer_id,),
            at=now,
            vin=appt.vin,
        ),
    )
    return appt


def reserve_part(
    session: Session, who: Principal, appointment_id: str, part_no: str, qty: int, *, now
):
    """The servicing dealer's staff set aside `qty` of a part for a booked visit."""
    appt = session.scalar(
        select(ServiceAppointment).where(ServiceAppointment.id == appointment_id).with_for_update()
    )
    if appt is None or not (who.is_dealer and who.dealer_id == appt.dealer_id):
        raise NotFound("not_found", "No such appointment.")
    if appt.status != "booked":
        raise Conflict("appointment_not_booked", "Parts are reserved for booked visits only.")
    return parts_service.reserve(session, appt.dealer_id, appt.id, part_no, qty, now=now)


@dataclass(frozen=True)
class PartUsed:
    part_no: str
    qty: int


def complete(
    session: Session,
    who: Principal,
    appointment_id: str,
    *,
    odometer_km: int,
    work: str,
    parts: list[PartUsed],
    now: dt.datetime,
) -> ServiceAppointment:
    """Record the work done (the servicing dealer's staff only) and take the parts from the
    dealer's stock; the visit joins the VIN's service history. Completing again returns the
    visit as first recorded and takes no parts a second time."""
    appt = session.scalar(
        select(ServiceAppointment).where(ServiceAppointment.id == appointment_id).with_for_update()
    )
    if appt is None or not (who.is_dealer and who.dealer_id == appt.dealer_id):
        raise NotFound("not_found", "No such appointment.")
    if appt.status == "completed":
        return appt
    if appt.status != "booked":
        raise Conflict("appointment_cancelled", "A cancelled appointment cannot be completed.")
    used: dict[str, int] = {}
    for p in parts:
        used[p.part_no] = used.get(p.part_no, 0) + p.qty
    # once: a completed visit returned above
    parts_service.consume(session, appt.dealer_id, used, appointment_id=appt.id)
    appt.status, appt.completed_at, appt.completed_by = "completed", now, who.user_id
    appt.odometer_km, appt.work = odometer_km, work
    appt.parts = [{"part_no": p.part_no, "qty": p.qty} for p in parts]
    session.flush()
    if appt.kind == "recall":
        recalls.repaired(session, appt.vin, now=now)
    events.publish(
        session,
        ServiceCompleted(
            entity_id=appt.id,
            customer_id=appt.customer_id,
            dealer_ids=(appt.dealer_id,),
            at=now,
            vin=appt.vin,
            kind=appt.kind,
            odometer_km=odometer_km,
        ),
    )
    return appt


def _is_owner(session: Session, customer_id: str, vin: str) -> bool:
    """The customer bought the car here, or brought it in for service under their account."""
    bought = session.scalar(
        select(Order.id).where(
            Order.vin == vin, Order.customer_id == customer_id, Order.status == "handed_over"
        )
    )
    booked = session.scalar(
        select(ServiceAppointment.id).where(
            ServiceAppointment.vin == vin, ServiceAppointment.customer_id == customer_id
        )
    )
    return bought is not None or booked is not None


def history(session: Session, who: Principal, raw_vin: str) -> list[ServiceAppointment]:
    """Completed visits of a VIN, oldest first: for its owner, a dealer that serviced it and
    the carmaker; anyone else sees 404."""
    vin = normalise_vin(raw_vin)
    visits = list(
        session.scalars(
            select(ServiceAppointment)
            .where(ServiceAppointment.vin == vin, ServiceAppointment.status == "completed")
            .order_by(ServiceAppointment.completed_at, ServiceAppointment.id)
        )
    )
    allowed = (
        who.is_admin
        or (who.is_dealer and any(v.dealer_id == who.dealer_id for v in visits))
        or (not who.is_dealer and _is_owner(session, who.user_id, vin))
    )
    if not allowed:
        raise NotFound("not_found", "No service history for that VIN.")
    return visits
