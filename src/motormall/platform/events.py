"""Domain events: facts that happened, kept in one table that becomes each customer's timeline.

Other domains react to events through jobs enqueued after commit, never by reaching into the
emitting domain's tables.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from motormall.platform.db import Base, UTCDateTime, utcnow


class DomainEvent(Base):
    __tablename__ = "domain_events"
    __table_args__ = (Index("ix_domain_events_customer", "customer_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    type: Mapped[str] = mapped_column(String(80))
    customer_id: Mapped[str | None] = mapped_column(String(32))
    dealer_id: Mapped[int | None] = mapped_column(Integer, index=True)
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)


def emit(
    session: Session,
    type: str,
    *,
    entity_type: str,
    entity_id: str | int,
    customer_id: str | None = None,
    dealer_id: int | None = None,
    payload: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> DomainEvent:
    event = DomainEvent(
        type=type,
        entity_type=entity_type,
        entity_id=str(entity_id),
        customer_id=customer_id,
        dealer_id=dealer_id,
        payload=payload or {},
        at=at or utcnow(),
    )
    session.add(event)
    return event


def timeline(
    session: Session, customer_id: str, *, limit: int = 100, before_id: int | None = None
) -> list[DomainEvent]:
    """A customer's events across every channel, newest first (ids grow with time)."""
    stmt = select(DomainEvent).where(DomainEvent.customer_id == customer_id)
    if before_id is not None:
        stmt = stmt.where(DomainEvent.id < before_id)
    return list(session.scalars(stmt.order_by(DomainEvent.id.desc()).limit(limit)))


def may_see_timeline(session: Session, principal, customer_id: str) -> bool:
    """Admins see all; a customer sees their own; dealer staff see customers who dealt with
    their dealer, which is exactly when an event of that customer names the dealer."""
    if principal.is_admin or principal.user_id == customer_id:
        return True
    if principal.is_dealer:
        return (
            session.scalar(
                select(DomainEvent.id)
                .where(
                    DomainEvent.customer_id == customer_id,
                    DomainEvent.dealer_id == principal.dealer_id,
                )
                .limit(1)
            )
            is not None
        )
    return False
