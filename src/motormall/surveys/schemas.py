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
