"""How notifications reacts to other domains' events: it tells the customer what happened,
in their language, through the outbox (written in the emitting transaction, sent after
commit)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from motormall.leads.events import LeadAssigned
from motormall.notifications.service import notify
from motormall.orders.events import OrderHandedOver, OrderReserved
from motormall.payments.events import PaymentRefunded
from motormall.platform.events import handles


@handles(LeadAssigned)
def tell_who_will_call(session: Session, event: LeadAssigned) -> None:
    if event.customer_id and event.reason == "routed":  # a re-route is the dealers' affair
        notify(session, event.customer_id, "lead_assigned", link="/me", dealer=event.dealer)


@handles(OrderReserved)
def tell_the_car_is_held(session: Session, event: OrderReserved) -> None:
    notify(
        session,
        event.customer_id,
        "order_reserved",
        link=f"/orders/{event.entity_id}",
        vin=event.vin,
    )


@handles(OrderHandedOver)
def tell_the_car_is_theirs(session: Session, event: OrderHandedOver) -> None:
    notify(
        session,
        event.customer_id,
        "order_handed_over",
        link=f"/orders/{event.entity_id}",
        vin=event.vin,
    )


@handles(PaymentRefunded)
def tell_the_money_is_back(session: Session, event: PaymentRefunded) -> None:
    notify(
        session,
        event.customer_id,
        "refund_sent",
        link=f"/orders/{event.order_id}",
        amount=event.amount,
    )
