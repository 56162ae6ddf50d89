"""After-sales routes: free service times, booking and cancelling, completing a visit, and
the VIN's service history."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from motormall.aftersales import parts, recalls, schemas, service
from motormall.aftersales.models import Part, Recall, ServiceAppointment
from motormall.catalog.models import Brand, CarModel, Dealer
from motormall.catalog.vin import normalise_vin
from motormall.platform import idempotency
from motormall.platform.auth import Principal, Role
from motormall.platform.db import utcnow
from motormall.platform.deps import (
    CurrentPrincipal,
    DbSession,
    ReadSession,
    idempotency_key,
    require,
)
from motormall.platform.errors import ERROR_RESPONSES, NotFound
from motormall.platform.ids import RecordId

router = APIRouter(tags=["after-sales"], responses=ERROR_RESPONSES)
Customer = Annotated[Principal, require(Role.customer)]
DealerStaff = Annotated[Principal, require(Role.dealer_staff, Role.dealer_manager)]
IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]


def appointment_out(session: Session, appt: ServiceAppointment) -> schemas.AppointmentOut:
    return schemas.AppointmentOut(
        id=appt.id,
        status=appt.status,
        start=appt.start_at.isoformat(),
        end=appt.end_at.isoformat(),
        bay=appt.bay,
        dealer=session.get(Dealer, appt.dealer_id).code,
        vin=appt.vin,
        kind=appt.kind,
    )


@router.get("/dealers/{code}/service-slots", response_model=schemas.SlotsOut)
def service_slots(
    code: str,
    session: ReadSession,
    date: Annotated[dt.date, Query()],
    kind: Annotated[schemas.Kind, Query()] = "maintenance",
):
    """Free start times on `date` (the dealer's local date) for a job of `kind`, in UTC."""
    dealer = service.dealer_by_code(session, code)
    starts = service.free_starts(session, dealer, date, kind, now=utcnow())
    return schemas.SlotsOut(
        dealer=dealer.code, date=date, kind=kind, starts=[s.isoformat() for s in starts]
    )


@router.post(
    "/service-appointments",
    status_code=201,
    response_model=schemas.AppointmentOut,
    responses={409: {"description": "slot_taken"}},
)
def book_appointment(
    body: schemas.AppointmentIn, who: Customer, session: DbSession, key: IdempotencyKey
):
    def work():
        appt = service.book(
            session,
            who,
            service.BookRequest(vin=body.vin, dealer=body.dealer, start=body.start, kind=body.kind),
            now=utcnow(),
        )
        return appointment_out(session, appt).model_dump()

    return idempotency.respond(
        session,
        scope=f"{who.user_id}:service-appointments",
        key=key,
        body=body.model_dump(mode="json"),
        work=work,
    )


@router.get("/service-appointments/{appointment_id}", response_model=schemas.AppointmentOut)
def read_appointment(appointment_id: str, who: CurrentPrincipal, session: ReadSession):
    return appointment_out(session, service.appointment_for(session, who, appointment_id))


@router.post("/service-appointments/{appointment_id}/cancel", response_model=schemas.AppointmentOut)
def cancel_appointment(appointment_id: str, who: CurrentPrincipal, session: DbSession):
    appt = service.cancel(session, who, appointment_id, now=utcnow())
    return appointment_out(session, appt)


@router.post(
    "/service-appointments/{appointment_id}/reschedule",
    response_model=schemas.AppointmentOut,
    responses={409: {"description": "slot_taken, appointment_not_reschedulable"}},
)
def reschedule_appointment(
    appointment_id: str,
    body: schemas.RescheduleIn,
    who: CurrentPrincipal,
    session: DbSession,
    key: IdempotencyKey,
):
    """Move the appointment (its customer or the servicing dealer's staff) to a new start."""

    def work():
        appt = service.reschedule(session, who, appointment_id, body.start, now=utcnow())
        return appointment_out(session, appt).model_dump()

    return idempotency.respond(
        session,
        scope=f"{who.user_id}:reschedule:{appointment_id}",
        key=key,
        body=body.model_dump(mode="json"),
        work=work,
        status_code=200,
    )


@router.post(
    "/service-appointments/{appointment_id}/complete", response_model=schemas.AppointmentOut
)
def complete_appointment(
    appointment_id: str, body: schemas.CompleteIn, who: DealerStaff, session: DbSession
):
    appt = service.complete(
        session,
        who,
        appointment_id,
        odometer_km=body.odometer_km,
        work=body.work,
        parts=[service.PartUsed(part_no=p.part_no, qty=p.qty) for p in body.parts],
        now=utcnow(),
    )
    return appointment_out(session, appt)


@router.get("/vehicles/{vin}/service-history", response_model=schemas.HistoryOut)
def service_history(vin: str, who: CurrentPrincipal, session: ReadSession):
    visits = service.history(session, who, vin)
    ids = {v.dealer_id for v in visits}
    codes = dict(session.execute(select(Dealer.id, Dealer.code).where(Dealer.id.in_(ids))).all())
    return schemas.HistoryOut(
        vin=normalise_vin(vin),
        items=[
            schemas.VisitOut(
                id=v.id,
                dealer=codes[v.dealer_id],
                kind=v.kind,
                completed_at=v.completed_at.isoformat(),
                odometer_km=v.odometer_km,
                work=v.work,
                parts=[schemas.PartIn(**p) for p in v.parts or []],
            )
            for v in visits
        ],
    )


# --- parts ----------------------------------------------------------------------------------

Admin = Annotated[Principal, require(Role.oem_admin)]
PartNoPath = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")]


def stock_out(session: Session, row) -> schemas.StockOut:
    return schemas.StockOut(
        part_no=row.part_no,
        name=session.get(Part, row.part_no).name,
        on_hand=row.on_hand,
        reorder_level=row.reorder_level,
        low=row.available <= row.reorder_level,
        reserved=row.reserved,
        available=row.available,
    )


@router.put("/admin/parts/{part_no}", response_model=schemas.PartOut)
def put_part(part_no: PartNoPath, body: schemas.CataloguePartIn, who: Admin, session: DbSession):
    """A part in the carmaker's catalogue (for one model, or any when model_id is null)."""
    part = parts.put_part(session, part_no, name=body.name, model_id=body.model_id)
    return schemas.PartOut(part_no=part.part_no, name=part.name, model_id=part.model_id)


@router.put("/dealer/parts/{part_no}/stock", response_model=schemas.StockOut)
def set_stock(part_no: PartNoPath, body: schemas.StockIn, who: DealerStaff, session: DbSession):
    row = parts.set_stock(
        session, who.dealer_id, part_no, on_hand=body.on_hand, reorder_level=body.reorder_level
    )
    return stock_out(session, row)


@router.get("/dealer/parts", response_model=schemas.StockList)
def dealer_parts(who: DealerStaff, session: ReadSession, low: bool = False):
    """The dealer's own parts stock; `low=true`: only parts at or below their reorder level."""
    rows = parts.stock_of(session, who.dealer_id, low_only=low)
    return schemas.StockList(items=[stock_out(session, r) for r in rows])


def reservation_out(session: Session, r, appt: ServiceAppointment) -> schemas.ReservationOut:
    return schemas.ReservationOut(
        appointment_id=r.appointment_id,
        part_no=r.part_no,
        name=session.get(Part, r.part_no).name,
        qty=r.qty,
        status=r.status,
        start=appt.start_at.isoformat(),
        vin=appt.vin,
    )


@router.put(
    "/service-appointments/{appointment_id}/parts/{part_no}",
    response_model=schemas.ReservationList,
    responses={409: {"description": "part_out_of_stock, appointment_not_booked"}},
)
def reserve_part(
    appointment_id: str,
    part_no: PartNoPath,
    body: schemas.ReserveIn,
    who: DealerStaff,
    session: DbSession,
):
    """Hold `qty` of a part for a booked visit (0 gives it back); the visit's held parts."""
    service.reserve_part(session, who, appointment_id, part_no, body.qty, now=utcnow())
    return visit_parts(appointment_id, who, session)


@router.get("/service-appointments/{appointment_id}/parts", response_model=schemas.ReservationList)
def visit_parts(appointment_id: str, who: DealerStaff, session: ReadSession):
    appt = service.appointment_for(session, who, appointment_id)
    return schemas.ReservationList(
        items=[
            reservation_out(session, r, appt)
            for r in parts.reservations(session, appt.id, held_only=False)
        ]
    )


@router.get("/dealer/parts/reservations", response_model=schemas.ReservationList)
def dealer_reservations(who: DealerStaff, session: ReadSession):
    """Parts held for the dealer's booked visits, soonest visit first."""
    return schemas.ReservationList(
        items=[
            reservation_out(session, r, a) for r, a in parts.held_by_dealer(session, who.dealer_id)
        ]
    )


# --- recalls --------------------------------------------------------------------------------


def recall_out(session: Session, r: Recall) -> schemas.RecallOut:
    told, repaired = recalls.counts(session, r.id)
    return schemas.RecallOut(
        id=r.id,
        brand=session.get(Brand, r.brand_id).code,
        model=session.get(CarModel, r.model_id).name if r.model_id else None,
        vin_from=r.vin_from,
        vin_to=r.vin_to,
        vins=r.vins or [],
        title=r.title,
        description=r.description,
        created_at=r.created_at.isoformat(),
        owners_notified=told,
        repaired=repaired,
    )


@router.post("/admin/recalls", status_code=201, response_model=schemas.RecallOut)
def launch_recall(body: schemas.RecallIn, who: Admin, session: DbSession):
    """A recall campaign by VIN range (`vin_from`..`vin_to`, one production run) or by
    `vins`; the owners are told through the outbox right after it is recorded."""
    recall = recalls.launch(
        session,
        who,
        recalls.RecallRequest(
            brand=body.brand,
            model=body.model,
            vin_from=body.vin_from,
            vin_to=body.vin_to,
            vins=body.vins,
            title=body.title,
            description=body.description,
        ),
        now=utcnow(),
    )
    return recall_out(session, recall)


@router.get("/admin/recalls/{recall_id}", response_model=schemas.RecallOut)
def read_recall(recall_id: RecordId, who: Admin, session: ReadSession):
    recall = session.get(Recall, recall_id)
    if recall is None:
        raise NotFound("not_found", "No such recall.")
    return recall_out(session, recall)


@router.get("/me/recalls", response_model=schemas.MyRecalls)
def my_recalls(who: Customer, session: ReadSession):
    """The customer's recalled cars still waiting for their recall visit."""
    return schemas.MyRecalls(
        items=[
            schemas.MyRecall(
                recall_id=r.id,
                vin=n.vin,
                title=r.title,
                description=r.description,
                notified_at=n.notified_at.isoformat(),
            )
            for n, r in recalls.open_for(session, who.user_id)
        ]
    )
