"""Test-drive API shapes."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field


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


class PolicyIn(BaseModel):
    tower_max_drives: int | None = Field(default=None, ge=1, le=50)
    tower_window_days: int | None = Field(default=None, ge=1, le=365)
    tower_drive_days: int | None = Field(default=None, ge=1, le=14)


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
