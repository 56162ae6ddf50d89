"""Lead tables: leads, routing decisions, dealer events, webhook deliveries, the policy."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from motormall.platform.auth import new_id
from motormall.platform.db import Base, UTCDateTime, utcnow
from motormall.platform.money import Cents


class Channel(enum.StrEnum):
    web = "web"
    photo_search = "photo_search"
    test_drive = "test_drive"
    campaign = "campaign"
    tower = "tower"
    phone = "phone"


class LeadStatus(enum.StrEnum):
    new = "new"
    contacted = "contacted"
    test_drive_booked = "test_drive_booked"
    quoted = "quoted"
    won = "won"
    lost = "lost"


class Lead(Base):
    __tablename__ = "leads"
    __table_args__ = (
        Index("ix_leads_dealer_due", "dealer_id", "status", "sla_due_at"),
        Index("ix_leads_dedupe", "customer_id", "model_id", "status", "created_at"),
        Index("ix_leads_sla", "status", "sla_due_at"),
        Index("ix_leads_created", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(20))
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    model_id: Mapped[int] = mapped_column(ForeignKey("car_models.id"))
    vin: Mapped[str | None] = mapped_column(String(17))
    message: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"))
    status: Mapped[str] = mapped_column(String(20), default=LeadStatus.new.value)
    flags: Mapped[list] = mapped_column(JSON, default=list)
    sla_due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    first_contact_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reroutes: Mapped[int] = mapped_column(Integer, default=0)
    inquiries: Mapped[int] = mapped_column(Integer, default=1)  # merged duplicates count here
    outcome_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class LeadAssignment(Base):
    """One routing decision, with the candidates and scores that made it."""

    __tablename__ = "lead_assignments"
    __table_args__ = (
        Index("ix_lead_assignments_dealer_at", "dealer_id", "at"),
        Index(
            "ix_lead_assignments_breaches",
            "from_dealer_id",
            "at",
            sqlite_where=text("from_dealer_id IS NOT NULL"),
            postgresql_where=text("from_dealer_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[str] = mapped_column(ForeignKey("leads.id"), index=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"))
    from_dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealers.id"))
    reason: Mapped[str] = mapped_column(String(20))  # routed | sla_breach | test_drive
    radius_km: Mapped[float] = mapped_column(Float)
    flags: Mapped[list] = mapped_column(JSON, default=list)
    candidates: Mapped[list] = mapped_column(JSON, default=list)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class LeadEvent(Base):
    __tablename__ = "lead_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[str] = mapped_column(ForeignKey("leads.id"), index=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"))
    actor_id: Mapped[str | None] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(Text, default="")
    amount: Mapped[Decimal | None] = mapped_column(Cents)  # the price quoted (CNY), on "quoted"
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RoutingPolicy(Base):
    """The carmaker's routing settings (one row per brand, or brand_id null for all)."""

    __tablename__ = "lead_routing_policy"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(32))


class DealerEndpoint(Base):
    """A dealer's own system, which receives signed webhooks about its leads."""

    __tablename__ = "dealer_endpoints"

    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"), primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(Base):
    """The outbox: written with the change it reports, sent after commit, retried."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # delivered | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class DealerLeadStats(Base):
    """Each dealer's recent responsiveness, refreshed by a scheduled job for the routing."""

    __tablename__ = "dealer_lead_stats"

    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"), primary_key=True)
    response_rate: Mapped[float] = mapped_column(Float)
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
