"""Test-drive API shapes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field

from motormall.platform.money import Amount


class DriveIn(BaseModel):
    kind: Literal["dealer", "tower"]
    vin: str = Field(min_length=1, max_length=40)
    start: AwareDatetime  # a dealer slot's start, or when the customer collects at the tower


class DriveOut(BaseModel):
    id: str
    status: str
    kind: str
    vin: str
    start: str
    ends_at: str
    dealer: str
    tower: str | None = None
    code: str | None = None  # for the customer and staff: typed at the tower's kiosk
    lead_id: str | None = None
    order_id: str | None = None
    out_at: str | None = None
    returned_at: str | None = None
    odometer_out_km: int | None = None
    odometer_in_km: int | None = None


class DriveList(BaseModel):
    items: list[DriveOut]
    next_cursor: str | None = None


class SlotOut(BaseModel):
    start: str
    end: str


class SlotsOut(BaseModel):
    dealer: str
    date: dt.date
    items: list[SlotOut]


class ReturnIn(BaseModel):
    odometer_km: int = Field(ge=0, le=5_000_000)


class PolicyOut(BaseModel):
    tower_max_drives: int
    tower_window_days: int
    tower_drive_days: int
    tower_report_after_hours: int
    tower_charge_after_hours: int
    tower_late_fee_per_day: Amount


class PolicyIn(BaseModel):
    tower_max_drives: int | None = Field(default=None, ge=1, le=50)
    tower_window_days: int | None = Field(default=None, ge=1, le=365)
    tower_drive_days: int | None = Field(default=None, ge=1, le=14)
    tower_report_after_hours: int | None = Field(default=None, ge=1, le=24 * 14)
    tower_charge_after_hours: int | None = Field(default=None, ge=1, le=24 * 30)
    tower_late_fee_per_day: Annotated[Amount | None, Field(ge=0, le=10000)] = None


# --- dealer drives ---------------------------------------------------------------------------


class RescheduleIn(BaseModel):
    start: AwareDatetime


class OdometerIn(BaseModel):
    odometer_km: int = Field(ge=0, le=5_000_000)


class CalendarItem(DriveOut):
    lane: int | None = None
    customer_name: str = ""
    customer_phone: str | None = None


class CalendarOut(BaseModel):
    date: dt.date
    items: list[CalendarItem]


class ScheduleIn(BaseModel):
    slot_minutes: int = Field(ge=15, le=240, multiple_of=15)
    lanes: int = Field(ge=1, le=50)


class ScheduleOut(ScheduleIn):
    pass


# ---- tower drives: eligibility, release, review, return, purchase, the tower's day -----------


class GateCheckOut(BaseModel):
    check: str  # vehicle | membership | consent | credit | quota | model | live_drive
    ok: bool
    code: str | None = None  # the error code booking would answer
    detail: str | None = None


class EligibilityOut(BaseModel):
    vin: str
    start: str
    eligible: bool
    checks: list[GateCheckOut]


class ReleaseOut(BaseModel):
    status: Literal["released", "review"]
    drive: DriveOut
    check_id: str | None = None  # None on a repeat after the decision
    liveness_reason: str | None = None


class KioskDriveOut(BaseModel):
    """What the tower's kiosk needs after the customer typed their code."""

    id: str
    status: str
    vin: str
    bay: int | None = None
    challenge: str  # turn_left | turn_right: the person's own left or right
    ends_at: str
    locked_until: str | None = None


class ReviewOut(BaseModel):
    check_id: str
    drive_id: str
    vin: str
    tower: str | None
    at: str
    frames: int
    distance: float
    threshold: float
    decision: str
    liveness_ok: bool
    liveness_reason: str | None = None
    model_version: str


class ReviewList(BaseModel):
    items: list[ReviewOut]


class ReviewIn(BaseModel):
    decision: Literal["release", "refuse"]
    note: str = Field(default="", max_length=1000)


class ReviewResult(BaseModel):
    status: Literal["released", "refused"]
    drive: DriveOut


class PurchaseIn(BaseModel):
    product: Literal["cash", "hire_purchase", "lease"] = "cash"
    term_months: int | None = Field(default=None, ge=1, le=120)
    down_payment: Annotated[Amount | None, Field(ge=0)] = None


class PurchaseOut(BaseModel):
    id: str  # the order's
    status: str
    vin: str
    expires_at: str | None = None
    test_drive_id: str


class DayDrive(BaseModel):
    id: str
    code: str
    status: str
    vin: str
    bay: int | None = None
    start: str
    ends_at: str
    out_at: str | None = None
    returned_at: str | None = None


class TowerDayOut(BaseModel):
    tower: str
    date: dt.date
    pickups: list[DayDrive]
    returns: list[DayDrive]
    overdue: list[DayDrive]
