"""After-sales API shapes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, Field

Kind = Literal["maintenance", "repair", "warranty", "recall"]


class AppointmentIn(BaseModel):
    vin: str = Field(min_length=1, max_length=40)
    dealer: str = Field(min_length=1, max_length=20)
    start: dt.datetime
    kind: Kind


class RescheduleIn(BaseModel):
    start: dt.datetime


class AppointmentOut(BaseModel):
    id: str
    status: str
    start: str
    end: str
    bay: int
    dealer: str
    vin: str
    kind: str


class SlotsOut(BaseModel):
    dealer: str
    date: dt.date
    kind: str
    starts: list[str]


class PartIn(BaseModel):
    part_no: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")
    qty: int = Field(ge=1, le=1000)


class CompleteIn(BaseModel):
    odometer_km: int = Field(ge=0, le=5_000_000)
    work: str = Field(min_length=1, max_length=4000)
    parts: list[PartIn] = Field(default_factory=list, max_length=100)


class VisitOut(BaseModel):
    id: str
    dealer: str
    kind: str
    completed_at: str
    odometer_km: int
    work: str
    parts: list[PartIn]


class HistoryOut(BaseModel):
    vin: str
    items: list[VisitOut]


PartNo = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")]


class CataloguePartIn(BaseModel):
    name: str = Field(min_length=1, max_length=160)
    model_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class PartOut(BaseModel):
    part_no: str
    name: str
    model_id: int | None


class StockIn(BaseModel):
    on_hand: int = Field(ge=0, le=1_000_000)
    reorder_level: int = Field(default=0, ge=0, le=1_000_000)


class StockOut(BaseModel):
    part_no: str
    name: str
    on_hand: int
    reorder_level: int
    low: bool
    reserved: int = 0
    available: int = 0


class ReserveIn(BaseModel):
    qty: int = Field(ge=0, le=1000)


class ReservationOut(BaseModel):
    appointment_id: str
    part_no: str
    name: str
    qty: int
    status: str
    start: str
    vin: str


class ReservationList(BaseModel):
    items: list[ReservationOut]


class StockList(BaseModel):
    items: list[StockOut]


Vin = Annotated[str, Field(min_length=1, max_length=40)]


class RecallIn(BaseModel):
    brand: str = Field(min_length=1, max_length=20)
    model: str | None = Field(default=None, min_length=1, max_length=80)
    vin_from: Vin | None = None
    vin_to: Vin | None = None
    vins: list[Vin] = Field(default_factory=list, max_length=10_000)
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=4000)


class RecallOut(BaseModel):
    id: int
    brand: str
    model: str | None
    vin_from: str | None
    vin_to: str | None
    vins: list[str]
    title: str
    description: str
    created_at: str
    owners_notified: int
    repaired: int


class MyRecall(BaseModel):
    recall_id: int
    vin: str
    title: str
    description: str
    notified_at: str


class MyRecalls(BaseModel):
    items: list[MyRecall]
