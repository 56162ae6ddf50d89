"""The customer's one timeline: every event of theirs across channels, newest first.

Who may read what is decided here, by the domain that owns the customer relationship: the
carmaker reads all; a customer reads their own; dealer staff read a customer they have dealt
with (`customer_dealers`), and of that customer's events only those that concern their own
dealer (`domain_event_dealers`), so a competitor's lead or order never shows. A customer is
their account plus every account merged into it (customers/merges.py).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from motormall.customers.merges import accounts_of
from motormall.customers.models import CustomerDealer
from motormall.platform.auth import Principal
from motormall.platform.errors import NotFound
from motormall.platform.events import DomainEvent, EventDealer


def check_access(session: Session, who: Principal, customer_id: str) -> None:
    """404 unless `who` may read this customer's timeline at all."""
    if who.is_admin or who.user_id == customer_id:
        return
    if who.is_dealer:
        dealt = session.scalar(
            select(CustomerDealer.dealer_id).where(
                CustomerDealer.customer_id.in_(accounts_of(session, customer_id)),
                CustomerDealer.dealer_id == who.dealer_id,
            )
        )
        if dealt is not None:
            return
    raise NotFound("not_found", "No such customer.")


def read(
    session: Session,
    who: Principal,
    customer_id: str,
    *,
    limit: int = 100,
    before_id: int | None = None,
) -> list[DomainEvent]:
    """The events `who` may see, newest first (ids grow with time)."""
    check_access(session, who, customer_id)
    accounts = accounts_of(session, customer_id)
    stmt = select(DomainEvent).where(DomainEvent.customer_id.in_(accounts))
    if who.is_dealer and not who.is_admin and who.user_id != customer_id:
        stmt = stmt.where(
            DomainEvent.id.in_(
                select(EventDealer.event_id).where(EventDealer.dealer_id == who.dealer_id)
            )
        )
    if before_id is not None:
        stmt = stmt.where(DomainEvent.id < before_id)
    return list(session.scalars(stmt.order_by(DomainEvent.id.desc()).limit(limit)))
