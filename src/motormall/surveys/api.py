"""Survey and case routes: the customer's open surveys, a survey by its token (no login: the
token is the permission), the dealer's cases and its actions on them, escalated cases for
the carmaker."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from motormall.catalog.models import Dealer
from motormall.platform.auth import Principal, Role, User
from motormall.platform.db import utcnow
from motormall.platform.deps import DbSession, ReadSession, require
from motormall.platform.errors import ERROR_RESPONSES, NotFound
from motormall.platform.origin import request_origin
from motormall.platform.pages import DEFAULT_LIMIT, MAX_LIMIT
from motormall.surveys import cases, schemas, service
from motormall.surveys.models import Case, Survey

router = APIRouter(tags=["surveys"], responses=ERROR_RESPONSES)
Customer = Annotated[Principal, require(Role.customer)]
DealerStaff = Annotated[Principal, require(Role.dealer_staff, Role.dealer_manager)]
CaseActor = Annotated[Principal, require(Role.dealer_staff, Role.dealer_manager, Role.oem_admin)]
Admin = Annotated[Principal, require(Role.oem_admin)]
Token = Annotated[str, Path(min_length=1, max_length=64)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=400)]


@router.get("/me/surveys", response_model=schemas.SurveyList)
def my_surveys(who: Customer, session: ReadSession):
    return schemas.SurveyList(
        items=[
            schemas.SurveyItem(token=s.token, about=s.about, expires_at=s.expires_at.isoformat())
            for s in service.open_surveys(session, who.user_id, now=utcnow())
        ]
    )


def survey_out(session: Session, s: Survey) -> schemas.SurveyOut:
    return schemas.SurveyOut(
        token=s.token,
        about=s.about,
        dealer=session.get(Dealer, s.dealer_id).code,
        expires_at=s.expires_at.isoformat(),
        answered=s.answered_at is not None,
    )


@router.get("/surveys/{token}", response_model=schemas.SurveyOut)
def read_survey(token: Token, session: ReadSession):
    return survey_out(session, service.by_token(session, token))


@router.post(
    "/surveys/{token}",
    response_model=schemas.AnswerOut,
    responses={409: {"description": "already_answered, survey_expired"}},
)
def answer_survey(token: Token, body: schemas.AnswerIn, request: Request, session: DbSession):
    s = service.answer(
        session, token, now=utcnow(), origin=request_origin(request), **body.model_dump()
    )
    opened = session.scalar(select(Case.id).where(Case.survey_token == s.token)) is not None
    return schemas.AnswerOut(
        token=s.token, answered_at=s.answered_at.isoformat(), case_opened=opened
    )


def case_out(session: Session, c: Case, *, with_events: bool = False) -> schemas.CaseOut:
    survey = session.get(Survey, c.survey_token) if c.survey_token else None
    customer = session.get(User, c.customer_id)  # the dealer's manager calls them back
    return schemas.CaseOut(
        id=c.id,
        status=c.status,
        due_at=c.due_at.isoformat(),
        customer_id=c.customer_id,
        dealer=session.get(Dealer, c.dealer_id).code,
        created_at=c.created_at.isoformat(),
        escalated_at=c.escalated_at.isoformat() if c.escalated_at else None,
        resolved_at=c.resolved_at.isoformat() if c.resolved_at else None,
        csat=survey.csat if survey else None,
        nps=survey.nps if survey else None,
        comment=survey.comment if survey else None,
        source=c.source,
        about=c.about,
        text=c.text,
        customer_name=customer.name if customer else None,
        customer_phone=customer.phone if customer else None,
        events=[
            schemas.CaseEventOut(type=e.type, note=e.note, at=e.at.isoformat())
            for e in cases.history(session, c)
        ]
        if with_events
        else None,
    )


@router.post("/me/complaints", status_code=201, response_model=schemas.MyCase)
def complain(body: schemas.ComplaintIn, who: Customer, session: DbSession):
    """A complaint about a dealer: it opens a case for that dealer's manager, followed by the
    carmaker when it is overdue."""
    c = cases.open_for_complaint(
        session, who, dealer_code=body.dealer, about=body.about, text=body.text, now=utcnow()
    )
    return my_case(session, c)


def my_case(session: Session, c: Case) -> schemas.MyCase:
    return schemas.MyCase(
        id=c.id,
        status=c.status,
        dealer=session.get(Dealer, c.dealer_id).code,
        source=c.source,
        about=c.about,
        created_at=c.created_at.isoformat(),
        resolved_at=c.resolved_at.isoformat() if c.resolved_at else None,
    )


@router.get("/me/cases", response_model=schemas.MyCases)
def my_cases(who: Customer, session: ReadSession):
    return schemas.MyCases(
        items=[my_case(session, c) for c in cases.customer_cases(session, who.user_id)]
    )


@router.get("/dealer/cases", response_model=schemas.CaseList)
def dealer_cases(
    who: DealerStaff,
    session: ReadSession,
    status: Annotated[str | None, Query(pattern="^(open|contacted|escalated|resolved)$")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
):
    rows, nxt = cases.dealer_cases(session, who, status=status, limit=limit, cursor=cursor)
    return schemas.CaseList(items=[case_out(session, c) for c in rows], next_cursor=nxt)


@router.get("/admin/cases", response_model=schemas.CaseList)
def escalated_cases(
    who: Admin, session: ReadSession, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
):
    """The cases dealers left overdue: the carmaker follows them up."""
    rows, nxt = cases.escalated_cases(session, limit=limit, cursor=cursor)
    return schemas.CaseList(items=[case_out(session, c) for c in rows], next_cursor=nxt)


@router.get("/cases/{case_id}", response_model=schemas.CaseOut)
def read_case(case_id: str, who: CaseActor, session: ReadSession):
    return case_out(session, cases.case_for(session, who, case_id), with_events=True)


@router.post("/cases/{case_id}/events", response_model=schemas.CaseOut)
def case_event(case_id: str, body: schemas.CaseEventIn, who: CaseActor, session: DbSession):
    c = cases.record(session, who, case_id, type=body.type, note=body.note, now=utcnow())
    return case_out(session, c, with_events=True)


@router.get("/admin/dealers/{code}/survey-integrity", response_model=schemas.IntegrityOut)
def survey_integrity(code: str, who: Admin, session: ReadSession):
    """The dealer's CSAT with and without suspect answers, and each signal with evidence."""
    dealer = session.scalar(select(Dealer).where(Dealer.code == code.strip().upper()))
    if dealer is None:
        raise NotFound("dealer_not_found", "No such dealer.")
    report = service.integrity(session, dealer.id)
    return schemas.IntegrityOut(
        dealer=dealer.code,
        csat=report.csat,
        csat_without_flagged=report.csat_without_flagged,
        responses=report.responses,
        flags=report.flags,
    )
