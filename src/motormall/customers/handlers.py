"""How the customers domain reacts to other domains' events: it remembers which dealers each
customer has dealt with (an inquiry, an order, a test drive, a service booking), the rule
behind who may read the customer's timeline."""

from __future__ import annotations

from sqlalchemy.orm import Session

from motormall.aftersales.events import ServiceBooked
from motormall.customers.models import CustomerDealer
from motormall.leads.events import LeadAssigned
from motormall.orders.events import OrderReserved
from motormall.platform.db import insert_for, utcnow
from motormall.platform.events import Event, handles
from motormall.testdrives.events import TestDriveBooked


@handles(LeadAssigned, OrderReserved, ServiceBooked, TestDriveBooked)
def remember_dealers(session: Session, event: Event) -> None:
    if event.customer_id is None:
        return
    for dealer_id in dict.fromkeys(d for d in event.dealer_ids if d is not None):
        link_dealer(session, event.customer_id, dealer_id, via=event.entity_type, at=event.at)


def link_dealer(session: Session, customer_id: str, dealer_id: int, *, via: str, at=None) -> None:
    """Idempotent: the first dealing is kept, and a concurrent insert of the same pair is
    fine: one INSERT that does nothing on a conflict (no read first, no savepoint)."""
    session.execute(
        insert_for(session)(CustomerDealer)
        .values(customer_id=customer_id, dealer_id=dealer_id, via=via, since=at or utcnow())
        .on_conflict_do_nothing(index_elements=["customer_id", "dealer_id"])
    )
