"""Who owns a car, as far as motormall knows: the buyer of a handed-over order, or whoever
brought it in for service under their account, the most recent of them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from motormall.aftersales.models import ServiceAppointment
from motormall.orders.models import Order


def owners(session: Session, vins=None) -> dict[str, str]:
    """VIN → customer id for every VIN known (or those in `vins`)."""
    sold = select(Order.vin, Order.customer_id, Order.handed_over_at).where(
        Order.status == "handed_over"
    )
    seen = select(
        ServiceAppointment.vin, ServiceAppointment.customer_id, ServiceAppointment.created_at
    )
    if vins is not None:
        vins = list(vins)
        sold, seen = sold.where(Order.vin.in_(vins)), seen.where(ServiceAppointment.vin.in_(vins))
    latest: dict[str, tuple] = {}
    for vin, customer_id, at in [*session.execute(sold), *session.execute(seen)]:
        if vin not in latest or at > latest[vin][0]:
            latest[vin] = (at, customer_id)
    return {vin: customer_id for vin, (_, customer_id) in latest.items()}


def cars_of(session: Session, customer_id: str) -> list[str]:
    """The VINs a customer bought here or brought in for service, in VIN order."""
    sold = select(Order.vin).where(Order.customer_id == customer_id, Order.status == "handed_over")
    seen = select(ServiceAppointment.vin).where(ServiceAppointment.customer_id == customer_id)
    return sorted({*session.scalars(sold), *session.scalars(seen)})
