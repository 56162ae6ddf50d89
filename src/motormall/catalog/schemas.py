"""API shapes for catalog and stock."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from motormall.catalog.models import BodyType, Powertrain, VehicleStatus
from motormall.platform.ids import RecordId
from motormall.platform.money import Amount, MoneyIn, MoneyOut

T = TypeVar("T")

Code = Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_\-]+$")]
Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
HHMM = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BrandIn(Strict):
    code: Code
    name: Annotated[str, Field(min_length=1, max_length=80)]


class BrandOut(BaseModel):
    id: int
    code: str
    name: str


class ModelIn(Strict):
    brand: Code
    name: Annotated[str, Field(min_length=1, max_length=80)]
    body_type: BodyType
    powertrain: Powertrain


class ModelOut(BaseModel):
    id: int
    brand: str
    name: str
    body_type: BodyType
    powertrain: Powertrain


class TrimIn(Strict):
    model_id: RecordId
    name: Annotated[str, Field(min_length=1, max_length=120)]
    msrp: MoneyIn | Annotated[Amount, Field(ge=0)]

    @property
    def msrp_money(self) -> MoneyIn:
        return self.msrp if isinstance(self.msrp, MoneyIn) else MoneyIn(amount=self.msrp)


class TrimOut(BaseModel):
    id: int
    model_id: int
    name: str
    msrp: MoneyOut
    brand: str
    model: str


def _check_hours(hours: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
    if hours is None:
        return None
    for day, span in hours.items():
        if day not in DAYS:
            raise ValueError(f"unknown day {day!r}; use {', '.join(DAYS)}")
        if span and (len(span) != 2 or span[0] >= span[1]):
            raise ValueError(f"{day}: give [open, close] with open before close, or [] if closed")
    return hours


class Place(Strict):
    city: Annotated[str, Field(min_length=1, max_length=80)]
    lat: Lat
    lon: Lon
    timezone: str = "Asia/Shanghai"
    opening_hours: dict[str, list[HHMM]] | None = None

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("opening_hours")
    @classmethod
    def _hours(cls, value):
        return _check_hours(value)


class DealerIn(Place):
    code: Code
    name: Annotated[str, Field(min_length=1, max_length=160)]
    brands: Annotated[list[Code], Field(min_length=1)]
    lead_capacity_per_day: Annotated[int, Field(ge=0, le=100_000)]
    service_bays: Annotated[int, Field(ge=0, le=1_000)]
    name_zh: Annotated[str | None, Field(max_length=160, description="Chinese display name")] = None
    address: Annotated[str | None, Field(max_length=200)] = None
    phone: Annotated[str | None, Field(max_length=32, pattern=r"^\+?[0-9 -]{3,31}$")] = None


class DealerOut(BaseModel):
    id: int
    code: str
    name: str
    name_zh: str | None = None
    address: str | None = None
    phone: str | None = None
    brands: list[str]
    city: str
    lat: float
    lon: float
    lead_capacity_per_day: int
    service_bays: int
    timezone: str
    opening_hours: dict[str, list[str]]


class TowerIn(Place):
    code: Code
    bays: Annotated[int, Field(ge=1, le=1_000)]
    dealers: list[Code] = Field(
        default_factory=list,
        max_length=200,
        description="codes of the dealers the carmaker assigns to the tower; only they stock it",
    )


class TowerOut(BaseModel):
    id: int
    code: str
    city: str
    lat: float
    lon: float
    bays: int
    timezone: str
    opening_hours: dict[str, list[str]]
    dealers: list[str] = []


class ImportRejection(BaseModel):
    line: int
    error: str
    code: str


class ImportReport(BaseModel):
    accepted: int = Field(
        description="lines now in stock as stated (created + updated + unchanged)"
    )
    created: int
    updated: int
    unchanged: int
    rejected: list[ImportRejection]


class TrimRef(BaseModel):
    id: int
    name: str
    model_id: int
    model: str
    brand: str
    body_type: BodyType
    powertrain: Powertrain


class Location(BaseModel):
    kind: str  # dealer | tower
    code: str
    city: str
    name: str
    name_zh: str | None = None  # the dealer's Chinese display name, where it has one
    bay: int | None = None
    dealer_code: str


class VehicleOut(BaseModel):
    vin: str
    trim: TrimRef
    color: str
    year: int
    price: MoneyOut
    msrp: MoneyOut
    status: VehicleStatus
    location: Location
    distance_km: float | None
    photos: list[str]


class Listing(BaseModel, Generic[T]):  # noqa: UP046 - Python 3.11 has no `class X[T]`
    items: list[T]
    next_cursor: str | None


class VehiclePage(BaseModel):
    items: list[VehicleOut]
    next_cursor: str | None
