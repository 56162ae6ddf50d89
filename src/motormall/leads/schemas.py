"""API shapes for leads."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from motormall.leads.models import Channel
from motormall.platform.ids import RecordId
from motormall.platform.money import MoneyIn, MoneyOut


class LeadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Channel
    model_id: RecordId | None = None
    vin: Annotated[str | None, Field(max_length=40)] = None
    message: Annotated[str, Field(max_length=2000)] = ""
    near: Annotated[str | None, Field(max_length=60, description="LAT,LON")] = None


class LeadCreated(BaseModel):
    id: str
    dealer_code: str
    dealer_name: str
    sla_due_at: str
    status: str
    flags: list[str]
    merged: bool = Field(description="true when this inquiry joined the customer's open lead")


class LeadEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["contacted", "test_drive_booked", "quoted", "won", "lost", "note"]
    note: Annotated[str, Field(max_length=2000)] = ""
    amount: MoneyIn | None = Field(
        default=None, description="the price quoted (CNY), only with type quoted"
    )


class LeadEventOut(BaseModel):
    type: str
    note: str
    at: str
    dealer: str
    amount: MoneyOut | None = None  # the price quoted, on a "quoted" event


class Assignment(BaseModel):
    dealer: str
    reason: str
    at: str
    radius_km: float
    flags: list[str]
    candidates: list[dict]


class LeadOut(BaseModel):
    id: str
    channel: str
    status: str
    brand: str
    model_id: int
    model: str
    vin: str | None
    message: str
    dealer_code: str
    dealer_name: str
    sla_due_at: str
    first_contact_at: str | None
    flags: list[str]
    inquiries: int
    created_at: str
    events: list[LeadEventOut]
    assignments: list[Assignment] | None = Field(
        None, description="routing decisions with candidates and scores (staff only)"
    )


class LeadPage(BaseModel):
    items: list[LeadOut]
    next_cursor: str | None


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    radius_km: Annotated[float | None, Field(gt=0, le=5000)] = None
    widen_to_km: list[Annotated[float, Field(gt=0, le=20000)]] | None = None
    w_distance: Annotated[float | None, Field(ge=0, le=10)] = None
    w_stock: Annotated[float | None, Field(ge=0, le=10)] = None
    w_capacity: Annotated[float | None, Field(ge=0, le=10)] = None
    w_response: Annotated[float | None, Field(ge=0, le=10)] = None
    w_fairness: Annotated[float | None, Field(ge=0, le=10)] = None
    dedupe_hours: Annotated[int | None, Field(ge=0, le=24 * 90)] = None
    sla_minutes: Annotated[int | None, Field(ge=1, le=24 * 60 * 7)] = None
    fairness_days: Annotated[int | None, Field(ge=1, le=90)] = None
    performance_days: Annotated[int | None, Field(ge=1, le=365)] = None


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: HttpUrl


class WebhookOut(BaseModel):
    url: str
    secret: str
    signature_header: str = "X-Motormall-Signature"


class DeliveryOut(BaseModel):
    id: str
    event: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: str
    created_at: str


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None = Field(None, description="the newest 100 deliveries are listed")
