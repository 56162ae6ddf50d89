"""Survey and case API shapes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class SurveyItem(BaseModel):
    token: str
    about: str
    expires_at: str


class SurveyList(BaseModel):
    items: list[SurveyItem]


class SurveyOut(BaseModel):
    token: str
    about: str
    dealer: str
    expires_at: str
    answered: bool


class AnswerIn(BaseModel):
    csat: int = Field(ge=1, le=5)
    nps: int = Field(ge=0, le=10)
    incentive_offered: bool = False
    comment: str = Field(default="", max_length=2000)
    # required on a survey about a closed case: was the problem resolved?
    resolved: bool | None = None


class AnswerOut(BaseModel):
    token: str
    answered_at: str
    case_opened: bool


class CaseEventIn(BaseModel):
    type: Literal["note", "contacted", "resolved"]
    note: str = Field(default="", max_length=4000)


class CaseEventOut(BaseModel):
    type: str
    note: str
    at: str


class CaseOut(BaseModel):
    id: str
    status: str
    due_at: str
    customer_id: str
    dealer: str
    created_at: str
    escalated_at: str | None
    resolved_at: str | None
    csat: int | None
    nps: int | None
    comment: str | None
    source: str = "survey"
    about: str | None = None
    text: str | None = None
    customer_name: str | None = None
    customer_phone: str | None = None
    events: list[CaseEventOut] | None = None


class CaseList(BaseModel):
    items: list[CaseOut]
    next_cursor: str | None


class IntegrityOut(BaseModel):
    dealer: str
    csat: float | None
    csat_without_flagged: float | None
    responses: int
    flags: list[dict]


class ComplaintIn(BaseModel):
    dealer: str = Field(min_length=1, max_length=20)
    about: Literal["sales", "service", "parts", "other"]
    text: str = Field(min_length=1, max_length=4000)


class MyCase(BaseModel):
    id: str
    status: str
    dealer: str
    source: str
    about: str | None
    created_at: str
    resolved_at: str | None


class MyCases(BaseModel):
    items: list[MyCase]
