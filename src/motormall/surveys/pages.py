"""The survey page: opened from the link in the message, no login (the token is the key),
phone-sized, in the reader's language. An answer is stored as typed and shown escaped."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse

from motormall.catalog.models import Dealer
from motormall.platform.db import utcnow
from motormall.platform.deps import DbSession, ReadSession
from motormall.platform.errors import DomainError, Invalid, status_of
from motormall.surveys import service
from motormall.web.render import check_csrf, error_text, render

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(min_length=1, max_length=64)]


def _page(request, session, token, *, error=None, status_code=200, thanks=False):
    try:
        survey = service.by_token(session, token)
    except DomainError as exc:
        return render(
            request, "survey.html", status_code=404, survey=None, error=error_text(request, exc)
        )
    return render(
        request,
        "survey.html",
        status_code=status_code,
        survey=survey,
        dealer=session.get(Dealer, survey.dealer_id),
        expired=survey.answered_at is None and survey.expires_at <= utcnow(),
        thanks=thanks,
        error=error,
    )


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
        )
    except DomainError as exc:
        session.rollback()
        return _page(
            request, session, token, error=error_text(request, exc), status_code=status_of(exc)
        )
    return RedirectResponse(f"/surveys/{token}?thanks=1", status_code=303)
