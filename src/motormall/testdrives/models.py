"""Test-drive tables.

A dealer drive holds one lane of the dealer's slot and the car for that slot: the primary keys
of `test_drive_slots` (dealer, slot start, lane) and `test_drive_car_slots` (car, slot start)
are what make two bookings of one slot or one car impossible, whatever the code above does.
A tower drive claims the car through catalog (status `test_drive`) from booking to return, and
the partial unique index keeps each customer to one live tower drive.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from motormall.platform.auth import new_id
from motormall.platform.db import Base, UTCDateTime, utcnow
from motormall.platform.money import Cents

LIVE = ("booked", "review", "out")
_LIVE_SQL = "kind = 'tower' AND status IN ('booked', 'review', 'out')"


class TestDrive(Base):
    __tablename__ = "test_drives"
    __test__ = False  # not a pytest class
    __table_args__ = (
        Index("ix_test_drives_customer", "customer_id", "kind", "start_at"),
        Index("ix_test_drives_dealer", "dealer_id", "start_at"),
        Index("ix_test_drives_tower", "tower_id", "start_at"),
        Index("ix_test_drives_vehicle", "vehicle_id", "start_at"),
        Index(
            "uq_test_drives_live_tower",
            "customer_id",
            unique=True,
            sqlite_where=text(_LIVE_SQL),
            postgresql_where=text(_LIVE_SQL),
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    # what the customer types at the tower's kiosk
    code: Mapped[str] = mapped_column(String(12), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # dealer | tower
    # booked | review (a person checks the face) | out | returned | cancelled | no_show | purchased
    status: Mapped[str] = mapped_column(String(12), default="booked")
    customer_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"))
    vin: Mapped[str] = mapped_column(String(17))
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    model_id: Mapped[int] = mapped_column(ForeignKey("car_models.id"))
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"))  # whose stock the car is
    tower_id: Mapped[int | None] = mapped_column(ForeignKey("towers.id"))
    lead_id: Mapped[str | None] = mapped_column(String(32))
    start_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # slot end, or return due
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    out_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # checked out / released
    returned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    odometer_out_km: Mapped[int | None] = mapped_column(Integer)
    odometer_in_km: Mapped[int | None] = mapped_column(Integer)
    # tower: the head-turn asked for, failed face checks, and the cooling period they caused
    challenge: Mapped[str | None] = mapped_column(String(20))
    mismatches: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # overdue chasing: 0 none, 1 customer told, 2 carmaker told, 3 charged
    overdue_stage: Mapped[int] = mapped_column(Integer, default=0)
    overdue_fee: Mapped[Decimal | None] = mapped_column(Cents)  # charged per policy, CNY
    order_id: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)


class DealerSlot(Base):
    """One lane of one dealer's test-drive slot, held by one booking (gone when cancelled)."""

    __tablename__ = "test_drive_slots"
    __table_args__ = (Index("ix_test_drive_slots_drive", "drive_id"),)

    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"), primary_key=True)
    slot_start: Mapped[dt.datetime] = mapped_column(UTCDateTime, primary_key=True)
    lane: Mapped[int] = mapped_column(Integer, primary_key=True)
    drive_id: Mapped[str] = mapped_column(ForeignKey("test_drives.id", ondelete="CASCADE"))


class CarSlot(Base):
    """One car for one dealer slot: the same car is never booked twice at once."""

    __tablename__ = "test_drive_car_slots"
    __table_args__ = (Index("ix_test_drive_car_slots_drive", "drive_id"),)

    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicles.id"), primary_key=True)
    slot_start: Mapped[dt.datetime] = mapped_column(UTCDateTime, primary_key=True)
    drive_id: Mapped[str] = mapped_column(ForeignKey("test_drives.id", ondelete="CASCADE"))


class DealerSchedule(Base):
    """A dealer's test-drive settings; a dealer without a row uses the defaults in rules."""

    __tablename__ = "test_drive_schedules"

    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id"), primary_key=True)
    slot_minutes: Mapped[int] = mapped_column(Integer)
    lanes: Mapped[int] = mapped_column(Integer)  # drives at once (cars x staff)


class FaceCheck(Base):
    """One release attempt at a tower: the decision and its figures, never the frames."""

    __tablename__ = "test_drive_face_checks"
    __table_args__ = (Index("ix_test_drive_face_checks_review", "outcome", "reviewed_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    drive_id: Mapped[str] = mapped_column(
        ForeignKey("test_drives.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    frames: Mapped[int] = mapped_column(Integer)
    distance: Mapped[float] = mapped_column(Float)
    decision: Mapped[str] = mapped_column(String(10))  # match | review | mismatch (the face)
    liveness_ok: Mapped[bool] = mapped_column(Boolean)
    liveness_reason: Mapped[str | None] = mapped_column(String(30))
    outcome: Mapped[str] = mapped_column(String(10))  # released | review | refused
    model_version: Mapped[str] = mapped_column(String(80))
    threshold: Mapped[float] = mapped_column(Float)
    reviewed_by: Mapped[str | None] = mapped_column(String(32))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    review_decision: Mapped[str | None] = mapped_column(String(10))  # release | refuse
    review_note: Mapped[str | None] = mapped_column(Text)


class DrivePolicy(Base):
    """The carmaker's tower policy, versioned like the credit policy: the latest row is in force."""

    __tablename__ = "test_drive_policies"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    values: Mapped[dict] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
