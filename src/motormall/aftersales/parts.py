"""Spare parts: the carmaker's catalogue, each dealer's stock, and consuming parts when a
visit's work is recorded. No HTTP; flushes, never commits."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from motormall.aftersales.models import Part, PartReservation, PartStock, ServiceAppointment
from motormall.catalog.models import CarModel
from motormall.platform.errors import Conflict, NotFound


def put_part(session: Session, part_no: str, *, name: str, model_id: int | None) -> Part:
    if model_id is not None and session.get(CarModel, model_id) is None:
        raise NotFound("model_not_found", "No such model.")
    part = session.get(Part, part_no)
    if part is None:
        part = Part(part_no=part_no, name=name, model_id=model_id)
        session.add(part)
    else:
        part.name, part.model_id = name, model_id
    session.flush()
    return part


def set_stock(
    session: Session, dealer_id: int, part_no: str, *, on_hand: int, reorder_level: int
) -> PartStock:
    """A dealer's count after a stocktake or a delivery."""
    if session.get(Part, part_no) is None:
        raise NotFound("part_not_found", "No such part in the catalogue.")
    row = session.get(PartStock, (dealer_id, part_no), with_for_update=True)
    if row is None:
        row = PartStock(dealer_id=dealer_id, part_no=part_no, reserved=0)
        session.add(row)
    if on_hand < (row.reserved or 0):
        raise Conflict(
            "stock_below_reserved",
            f"{row.reserved} of {part_no} are reserved for visits; count at least that many.",
            reserved=row.reserved,
        )
    row.on_hand, row.reorder_level = on_hand, reorder_level
    session.flush()
    return row


def stock_of(session: Session, dealer_id: int, *, low_only: bool = False) -> list[PartStock]:
    stmt = select(PartStock).where(PartStock.dealer_id == dealer_id)
    if low_only:
        stmt = stmt.where(PartStock.on_hand - PartStock.reserved <= PartStock.reorder_level)
    return list(session.scalars(stmt.order_by(PartStock.part_no)))


def _out_of_stock(part_no: str) -> Conflict:
    return Conflict(
        "part_out_of_stock",
        f"Not enough of part {part_no} in stock for this visit.",
        part_no=part_no,
    )


def reservations(session: Session, appointment_id: str, *, held_only: bool = True):
    stmt = select(PartReservation).where(PartReservation.appointment_id == appointment_id)
    if held_only:
        stmt = stmt.where(PartReservation.status == "held")
    return list(session.scalars(stmt.order_by(PartReservation.part_no)))


def reserve(
    session: Session, dealer_id: int, appointment_id: str, part_no: str, qty: int, *, now
) -> PartReservation | None:
    """Set how many of a part are held for a booked visit (0 gives them back). The change is
    one conditional UPDATE: more than is available (on hand less reserved) → 409
    `part_out_of_stock` and nothing changes. The caller has locked the appointment."""
    if session.get(Part, part_no) is None:
        raise NotFound("part_not_found", "No such part in the catalogue.")
    held = session.get(PartReservation, (appointment_id, part_no))
    before = held.qty if held is not None and held.status == "held" else 0
    delta = qty - before
    if delta:
        done = session.execute(
            update(PartStock)
            .where(
                PartStock.dealer_id == dealer_id,
                PartStock.part_no == part_no,
                PartStock.on_hand - PartStock.reserved >= delta,
            )
            .values(reserved=PartStock.reserved + delta)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:
            raise _out_of_stock(part_no)
    if held is None and qty:
        held = PartReservation(
            appointment_id=appointment_id, part_no=part_no, dealer_id=dealer_id, created_at=now
        )
        session.add(held)
    if held is not None:
        if qty:
            held.qty, held.status = qty, "held"
        elif held.status == "held":
            held.status = "released"
    session.flush()
    return held if qty else None


def release(session: Session, appointment_id: str) -> None:
    """A cancelled visit gives back what was held for it (in part_no order, the lock order)."""
    for held in reservations(session, appointment_id):
        session.execute(
            update(PartStock)
            .where(PartStock.dealer_id == held.dealer_id, PartStock.part_no == held.part_no)
            .values(reserved=PartStock.reserved - held.qty)
            .execution_options(synchronize_session=False)
        )
        held.status = "released"
    session.flush()


def consume(
    session: Session, dealer_id: int, used: dict[str, int], *, appointment_id: str | None = None
) -> None:
    """Take `used` (part_no → qty) from the dealer's stock and settle what was reserved for
    the visit, in part_no order (the lock order), each part by one conditional UPDATE: what is
    left on hand must still cover every other visit's reservation, else 409
    `part_out_of_stock` and nothing is taken (the caller's transaction rolls back). Parts
    reserved but not used go back to the available stock."""
    held = {r.part_no: r for r in reservations(session, appointment_id)} if appointment_id else {}
    for part_no in sorted(set(used) | set(held)):
        take = used.get(part_no, 0)
        freed = held[part_no].qty if part_no in held else 0
        done = session.execute(
            update(PartStock)
            .where(
                PartStock.dealer_id == dealer_id,
                PartStock.part_no == part_no,
                PartStock.on_hand - take >= PartStock.reserved - freed,
            )
            .values(on_hand=PartStock.on_hand - take, reserved=PartStock.reserved - freed)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:
            raise _out_of_stock(part_no)
        if part_no in held:
            held[part_no].status = "consumed"
    session.flush()


def held_by_dealer(session: Session, dealer_id: int):
    """(reservation, appointment) for every part held for the dealer's visits, soonest first."""
    return list(
        session.execute(
            select(PartReservation, ServiceAppointment)
            .join(ServiceAppointment, ServiceAppointment.id == PartReservation.appointment_id)
            .where(PartReservation.dealer_id == dealer_id, PartReservation.status == "held")
            .order_by(ServiceAppointment.start_at, PartReservation.part_no)
        ).all()
    )


def names(session: Session, part_nos) -> dict[str, str]:
    rows = session.execute(select(Part.part_no, Part.name).where(Part.part_no.in_(list(part_nos))))
    return dict(rows.all())
