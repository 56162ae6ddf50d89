"""After-sales tables: service appointments (a visit, once completed, is the VIN's service
history) and the bay slots they hold.

A bay is a quantity-of-one resource: each appointment holds one row per half-hour slot it
covers in its bay, and the primary key (dealer, bay, slot start) is what makes two cars in one
bay at once impossible, whatever the service code above it does.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from motormall.platform.auth import new_id
from motormall.platform.db import Base, UTCDateTime, utcnow


class ServiceAppointment(Base):
    __tablename__ = "service_appointments"
    __table_args__ = (
        Index("ix_service_appointments_vin", "vin", "start_at"),
        Index("ix_service_appointments_dealer", "dealer_id", "start_at"),
        Index("ix_service_appointments_customer", "customer_id", "start_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    customer_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"))
    vin: Mapped[str] = mapped_column(String(17))
    kind: Mapped[str] = mapped_column(String(20))  # maintenance | repair | warranty | recall
    status: Mapped[str] = mapped_column(String(20), default="booked")  # booked|cancelled|completed
    bay: Mapped[int] = mapped_column(Integer)
    start_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # filled when the visit is completed: it is then part of the VIN's service history
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(32))
    odometer_km: Mapped[int | None] = mapped_column(Integer)
    work: Mapped[str | None] = mapped_column(Text)
    parts: Mapped[list | None] = mapped_column(JSON)  # [{"part_no", "qty"}]
    # when the day-before reminder went out for the current start (cleared on reschedule)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class BaySlot(Base):
    """One half-hour of one bay held by one appointment (deleted when it is cancelled)."""

    __tablename__ = "service_bay_slots"
    __table_args__ = (Index("ix_service_bay_slots_appointment", "appointment_id"),)

    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"), primary_key=True)
    bay: Mapped[int] = mapped_column(Integer, primary_key=True)
    slot_start: Mapped[dt.datetime] = mapped_column(UTCDateTime, primary_key=True)
    appointment_id: Mapped[str] = mapped_column(
        ForeignKey("service_appointments.id", ondelete="CASCADE")
    )


class Part(Base):
    """A spare part in the carmaker's catalogue, for one model (or any, when model_id is null)."""

    __tablename__ = "parts"

    part_no: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    model_id: Mapped[int | None] = mapped_column(ForeignKey("car_models.id"), index=True)


class PartStock(Base):
    """What a dealer holds of a part, and how much of it is promised to booked visits.
    Reserved and consumed by conditional UPDATEs; the CHECKs stand behind them, so stock never
    goes negative nor below what is promised, however many visits act at once."""

    __tablename__ = "part_stock"
    __table_args__ = (
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="reserved_within_on_hand"),
    )

    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"), primary_key=True)
    part_no: Mapped[str] = mapped_column(ForeignKey("parts.part_no"), primary_key=True)
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reorder_level: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class PartReservation(Base):
    """Parts set aside for a booked visit: held until the visit is completed (consumed) or
    cancelled (released)."""

    __tablename__ = "part_reservations"
    __table_args__ = (CheckConstraint("qty > 0", name="reservation_qty_positive"),)

    appointment_id: Mapped[str] = mapped_column(
        ForeignKey("service_appointments.id", ondelete="CASCADE"), primary_key=True
    )
    part_no: Mapped[str] = mapped_column(ForeignKey("parts.part_no"), primary_key=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"))
    qty: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="held")  # held|released|consumed
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class MaintenanceNotice(Base):
    """A "maintenance is due" message sent for a VIN. `since` names what the period counts
    from (the last maintenance visit or the handover order): one message per period."""

    __tablename__ = "maintenance_notices"

    vin: Mapped[str] = mapped_column(String(17), primary_key=True)
    since: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(20))  # time | mileage
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Recall(Base):
    """A carmaker's recall campaign: the cars are a production range of VINs or a list."""

    __tablename__ = "recalls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    model_id: Mapped[int | None] = mapped_column(ForeignKey("car_models.id"))
    vin_from: Mapped[str | None] = mapped_column(String(17))
    vin_to: Mapped[str | None] = mapped_column(String(17))
    vins: Mapped[list | None] = mapped_column(JSON)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(32))


class RecallNotice(Base):
    """A recalled car whose owner we told; `repaired_at` once a recall visit is completed."""

    __tablename__ = "recall_notices"
    __table_args__ = (Index("ix_recall_notices_customer", "customer_id"),)

    recall_id: Mapped[int] = mapped_column(
        ForeignKey("recalls.id", ondelete="CASCADE"), primary_key=True
    )
    vin: Mapped[str] = mapped_column(String(17), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    notified_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    repaired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
