"""The survey page: opened from the link in the message, no login (the token is the key),
phone-sized, in the reader's language. An answer is stored as typed and shown escaped."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from motormall.catalog.models import Dealer
from motormall.customers.contacts import contacts_of
from motormall.platform.auth import Role
from motormall.platform.db import utcnow
from motormall.platform.deps import DbSession, ReadSession
from motormall.platform.errors import DomainError, Invalid, status_of
from motormall.platform.origin import browser_id, keep_browser_id, request_origin
from motormall.surveys import cases, rules, service
from motormall.surveys.models import Survey
from motormall.web.render import check_csrf, error_text, page_principal, render

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(min_length=1, max_length=64)]


def _page(request, session, token, *, error=None, status_code=200, thanks=False):
    try:
        survey = service.by_token(session, token)
    except DomainError as exc:
        return render(
            request, "survey.html", status_code=404, survey=None, error=error_text(request, exc)
        )
    # the browser's id, so the answer's device can be matched against the dealer's staff's
    browser_id(request)
    response = render(
        request,
        "survey.html",
        status_code=status_code,
        survey=survey,
        dealer=session.get(Dealer, survey.dealer_id),
        expired=survey.answered_at is None and survey.expires_at <= utcnow(),
        thanks=thanks,
        error=error,
    )
    keep_browser_id(request, response)
    return response


@router.get("/surveys/{token}")
def survey_page(request: Request, token: Token, session: ReadSession):
    thanks = request.query_params.get("thanks") == "1"
    return _page(request, session, token, thanks=thanks)


@router.post("/surveys/{token}")
def answer_page(
    request: Request,
    token: Token,
    session: DbSession,
    csat: Annotated[str, Form(max_length=2)] = "",
    nps: Annotated[str, Form(max_length=2)] = "",
    incentive_offered: Annotated[str, Form(max_length=3)] = "",
    comment: Annotated[str, Form(max_length=2000)] = "",
    resolved: Annotated[str, Form(max_length=3)] = "",
    csrf_token: Annotated[str, Form()] = "",
):
    try:
        check_csrf(request, csrf_token)
        if not (csat.isdigit() and 1 <= int(csat) <= 5 and nps.isdigit() and int(nps) <= 10):
            raise Invalid("rating_required", "Choose a rating on both scales.")
        service.answer(
            session,
            token,
            csat=int(csat),
            nps=int(nps),
            incentive_offered=incentive_offered == "yes",
            comment=comment.strip(),
            resolved={"yes": True, "no": False}.get(resolved),
            now=utcnow(),
            origin=request_origin(request, browser=browser_id(request)),
        )
    except DomainError as exc:
        session.rollback()
        return _page(
            request, session, token, error=error_text(request, exc), status_code=status_of(exc)
        )
    return RedirectResponse(f"/surveys/{token}?thanks=1", status_code=303)


# --- the dealer's cases and the carmaker's integrity list -----------------------------------


def _login_first(back: str):
    return RedirectResponse(f"/login?{urlencode({'next': back})}", status_code=303)


def _cases(request, session, who, *, status_code=200, error=None):
    """Unresolved cases, the most overdue first, with whom to call and what they said."""
    open_cases = cases.worklist(session, who.dealer_id)
    surveys = {
        s.token: s
        for s in session.scalars(
            select(Survey).where(
                Survey.token.in_([c.survey_token for c in open_cases if c.survey_token])
            )
        )
    }
    dealer = session.get(Dealer, who.dealer_id)
    return render(
        request,
        "dealer_cases.html",
        status_code=status_code,
        error=error,
        cases=open_cases,
        surveys=surveys,
        contacts=contacts_of(session, [c.customer_id for c in open_cases]),
        history={c.id: cases.history(session, c) for c in open_cases},
        now=utcnow(),
        tz=dealer.timezone,
    )


@router.get("/dealer/cases")
def cases_page(request: Request, session: ReadSession):
    who = page_principal(request)
    if who is None or not who.is_dealer:
        return _login_first("/dealer/cases")
    return _cases(request, session, who)


@router.post("/dealer/cases/{case_id}/events")
def case_action(
    case_id: str,
    request: Request,
    session: DbSession,
    type: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=4000)] = "",
    csrf_token: Annotated[str, Form()] = "",
):
    who = page_principal(request)
    if who is None or not who.is_dealer:
        return _login_first("/dealer/cases")
    try:
        check_csrf(request, csrf_token)
        cases.record(session, who, case_id, type=type, note=note.strip(), now=utcnow())
    except DomainError as exc:
        session.rollback()
        return _cases(
            request, session, who, status_code=status_of(exc), error=error_text(request, exc)
        )
    return RedirectResponse("/dealer/cases", status_code=303)


@router.get("/oem/survey-integrity")
def integrity_page(request: Request, session: ReadSession):
    """Dealers by integrity: the most flags first, each with its evidence."""
    who = page_principal(request)
    if who is None or who.role != Role.oem_admin:
        return _login_first("/oem/survey-integrity")
    rows = []
    network = service.network_counts(session)
    from_staff = service.from_staff_counts(session)
    for dealer in session.scalars(select(Dealer).where(Dealer.id.in_(list(network)))):
        report = service.integrity(session, dealer.id, network=network, from_staff=from_staff)
        if report.responses:
            rows.append((dealer, report))
    rows.sort(key=lambda r: (-len(r[1].flags), r[0].code))
    return render(request, "oem_integrity.html", rows=rows)


# --- the customer's complaints ----------------------------------------------------------------


def _complaints(request, session, who, *, status_code=200, error=None, form=None):
    """The complaint form (it opens a case the carmaker follows) and the customer's cases."""
    return render(
        request,
        "my_complaints.html",
        status_code=status_code,
        error=error,
        form=form or {"dealer": request.query_params.get("dealer", ""), "about": "", "text": ""},
        dealers=session.scalars(select(Dealer).order_by(Dealer.code)).all(),
        abouts=rules.COMPLAINT_ABOUT,
        my_cases=cases.customer_cases(session, who.user_id),
        dealer_codes={d.id: d.code for d in session.scalars(select(Dealer))},
    )


@router.get("/me/complaints")
def complaints_page(request: Request, session: ReadSession):
    who = page_principal(request)
    if who is None:
        return _login_first("/me/complaints")
    if who.role != Role.customer:
        return render(request, "not_found.html", status_code=404)
    return _complaints(request, session, who)


@router.post("/me/complaints")
def complain_page(
    request: Request,
    session: DbSession,
    dealer: Annotated[str, Form(max_length=20)] = "",
    about: Annotated[str, Form(max_length=20)] = "",
    text: Annotated[str, Form(max_length=4000)] = "",
    csrf_token: Annotated[str, Form()] = "",
):
    who = page_principal(request)
    if who is None or who.role != Role.customer:
        return _login_first("/me/complaints")
    try:
        check_csrf(request, csrf_token)
        if not text.strip():
            raise Invalid("complaint_text_required", "Tell us what went wrong.")
        cases.open_for_complaint(
            session, who, dealer_code=dealer, about=about, text=text.strip(), now=utcnow()
        )
    except DomainError as exc:
        session.rollback()
        form = {"dealer": dealer, "about": about, "text": text}
        return _complaints(
            request,
            session,
            who,
            status_code=status_of(exc),
            error=error_text(request, exc),
            form=form,
        )
    return RedirectResponse("/me/complaints?done=1", status_code=303)
