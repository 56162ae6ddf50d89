"""How surveys react to other domains' facts: the carmaker asks the customer directly after a
handover and after a service visit (never through the dealer)."""

from __future__ import annotations

from motormall.aftersales.events import ServiceCompleted
from motormall.orders.events import OrderHandedOver
from motormall.orders.models import Order
from motormall.platform.events import handles
from motormall.surveys import service


@handles(OrderHandedOver)
def survey_after_handover(session, event) -> None:
    order = session.get(Order, event.entity_id)
    service.create(
        session,
        customer_id=event.customer_id,
        dealer_id=order.delivery_dealer_id or order.credited_dealer_id,
        about="handover",
        subject_id=order.id,
        now=event.at,
    )


@handles(ServiceCompleted)
def survey_after_service(session, event) -> None:
    service.create(
        session,
        customer_id=event.customer_id,
        dealer_id=event.dealer_ids[0],
        about="service",
        subject_id=event.entity_id,
        now=event.at,
    )
