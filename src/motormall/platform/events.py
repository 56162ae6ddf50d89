"""Domain events: typed facts announced by the domain that owns them, stored in one table,
and handed to the handlers other domains register.

An event is a frozen dataclass named in the past tense (`OrderHandedOver`), declared in the
emitting domain's `events.py`. `publish` stores it (the customer timeline reads the table) and
calls every handler registered for its class, inside the emitting transaction: a handler
writes only its own domain's tables, or queues a job by name after commit, and an exception
in a handler rolls the whole transaction back. Handlers live in `<domain>/handlers.py`, and
`motormall/handlers.py` imports them all; publishing before that import is a bug, not a
silent no-op.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

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
    # the unit of work fills in each dealer row's event id: publish() needs no flush
    dealers: Mapped[list[EventDealer]] = relationship(lazy="raise_on_sql", passive_deletes=True)


class EventDealer(Base):
    """Every dealer an event concerns (an order names a delivering and a credited dealer):
    the customer timeline shows a dealer only the events with its row here."""

    __tablename__ = "domain_event_dealers"
    __table_args__ = (Index("ix_domain_event_dealers_dealer", "dealer_id", "event_id"),)

    event_id: Mapped[int] = mapped_column(
        ForeignKey("domain_events.id", ondelete="CASCADE"), primary_key=True
    )
    dealer_id: Mapped[int] = mapped_column(Integer, primary_key=True)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every typed event. Subclasses set `type` (the stored name, e.g.
    "order.handed_over") and `entity_type`, and fill the fields below."""

    type: ClassVar[str]
    entity_type: ClassVar[str]

    entity_id: str
    customer_id: str | None = None
    dealer_ids: tuple[int, ...] = ()  # the dealers this fact concerns, first is the main one
    at: dt.datetime | None = None

    def payload(self) -> dict[str, Any]:
        """What the timeline shows: the subclass's own fields, as JSON."""
        base = {f.name for f in dataclasses.fields(Event)}
        return {
            f.name: _jsonable(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if f.name not in base
        }


def _jsonable(value):
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)  # Decimal, enums: their text


E = TypeVar("E", bound=Event)
Handler = Callable[[Session, Any], None]
_handlers: dict[type[Event], list[Handler]] = defaultdict(list)
_wired = False


def handles(*event_types: type[E]) -> Callable[[Handler], Handler]:
    """Register the decorated `fn(session, event)` for these event classes."""

    def register(fn: Handler) -> Handler:
        for event_type in event_types:
            if fn not in _handlers[event_type]:
                _handlers[event_type].append(fn)
        return fn

    return register


def mark_wired() -> None:
    """Called once every domain's handlers are imported (motormall/handlers.py)."""
    global _wired
    _wired = True


def publish(session: Session, event: Event) -> DomainEvent:
    """Store `event` and run its handlers in this transaction (their errors propagate)."""
    if not _wired:
        raise RuntimeError("publish() before motormall.handlers was imported: no one listens")
    row = DomainEvent(
        type=event.type,
        entity_type=event.entity_type,
        entity_id=str(event.entity_id),
        customer_id=event.customer_id,
        dealer_id=event.dealer_ids[0] if event.dealer_ids else None,
        payload=event.payload(),
        at=event.at or utcnow(),
    )
    row.dealers = [
        EventDealer(dealer_id=d)
        for d in dict.fromkeys(d for d in event.dealer_ids if d is not None)
    ]
    session.add(row)
    for handler in _handlers.get(type(event), ()):
        handler(session, event)
    return row
