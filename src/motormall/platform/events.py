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
    __table_args__ = (Index("ix_domain_events_customer_at", "customer_id", "at"),)

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


def timeline(session: Session, customer_id: str, *, limit: int = 100) -> list[DomainEvent]:
    """A customer's events across every channel, newest first."""
    stmt = (
        select(DomainEvent)
        .where(DomainEvent.customer_id == customer_id)
        .order_by(DomainEvent.at.desc(), DomainEvent.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
