"""API shapes for accounts and customers."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from motormall.customers.contacts import normalise_phone


class TokenIn(BaseModel):
    email: Annotated[str, Field(min_length=3, max_length=254)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: str
    device_token: str = Field(
        description="Send back as the X-Device-Token header on later logins from this device."
    )


class RegisterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    password: Annotated[str, Field(min_length=8, max_length=256)]
    name: Annotated[str, Field(min_length=1, max_length=120)]
    phone: Annotated[str, Field(min_length=3, max_length=32)]
    city: Annotated[str, Field(min_length=1, max_length=80)]
    locale: Literal["en", "zh-CN"] = Field(
        "en", description="The language messages to the customer are written in."
    )

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        """Normalise to E.164; numbers without a country code are read as mainland China."""
        normalised = normalise_phone(value)
        if normalised is None:
            raise ValueError("not a valid phone number")
        return normalised


class MeUpdate(BaseModel):
    model_config = {"extra": "forbid"}

    locale: Literal["en", "zh-CN"] = Field(
        description="The language messages to this account are written in from now on."
    )


class Created(BaseModel):
    id: str


class MeOut(BaseModel):
    id: str
    email: str
    name: str
    role: str
    dealer: str | None
    tower: str | None
    phone: str | None = None
    city: str | None = None
    locale: str = "en"


class TimelineEvent(BaseModel):
    id: int
    at: str
    type: str
    entity_type: str
    entity_id: str
    dealer: str | None
    payload: dict


class Timeline(BaseModel):
    items: list[TimelineEvent]
    next_cursor: str | None


class PasswordResetIn(BaseModel):
    email: Annotated[str, Field(min_length=3, max_length=254)]


class PasswordResetAccepted(BaseModel):
    detail: str


class NewPasswordIn(BaseModel):
    token: Annotated[str, Field(min_length=1, max_length=200)]
    password: Annotated[str, Field(min_length=8, max_length=256)]


class IdentityOut(BaseModel):
    id_number_masked: str = Field(description="only the last four characters are shown")
    has_id_photo: bool
    consent_biometrics: bool
    face_template: bool = Field(description="a face template from the ID photo is on file")
    model_version: str | None = Field(description="the face model that made the template")
    updated_at: str


class DuplicatePair(BaseModel):
    a: str
    b: str
    reasons: list[Literal["phone", "email", "id_number"]]


class Duplicates(BaseModel):
    items: list[DuplicatePair]
    next_cursor: str | None = None


class MergeIn(BaseModel):
    into: Annotated[str, Field(min_length=1, max_length=32, description="the surviving account")]
    note: Annotated[str, Field(max_length=500)] = ""


class MergeOut(BaseModel):
    id: int
    merged_id: str
    survivor_id: str
    at: str
    note: str
    undone_at: str | None = None


class ProfileOut(BaseModel):
    customer_id: str
    accounts: list[str] = Field(description="this account first, then those merged into it")
    memberships: list[dict]
    cars: list[str]
    open_leads: list[dict]
    test_drives: list[dict]
    orders: list[dict]
    instalments: list[dict]
    cases: list[dict]
    consents: dict[str, bool]
