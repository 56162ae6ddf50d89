"""Finance pages: the OEM console's referred queue, where a credit officer decides."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from motormall.finance import applications, messages
from motormall.platform.db import utcnow
from motormall.platform.deps import DbSession, ReadSession
from motormall.platform.errors import DomainError, Invalid, status_of
from motormall.web.render import check_csrf, language, page_principal, render

router = APIRouter(include_in_schema=False)
QUEUE = "/oem/credit/applications"


def _queue(request: Request, session, error=None, status_code=200):
    lang = language(request)
    queue = applications.referred(session)
    for a in queue:
        a.reason_texts = [messages.text(c, lang) for c in a.reasons]
    return render(
        request,
        "oem_credit_queue.html",
        status_code=status_code,
        queue=queue,
        stats=applications.stats(session),
        error=error,
    )


@router.get(QUEUE)
def queue_page(request: Request, session: ReadSession):
    who = page_principal(request)
    if who is None or not who.is_admin:
        return RedirectResponse(f"/login?{urlencode({'next': QUEUE})}", status_code=303)
    return _queue(request, session)


@router.post(QUEUE + "/{application_id}/review")
def review(
    application_id: str,
    request: Request,
    session: DbSession,
    decision: Annotated[str, Form(max_length=10)],
    note: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form()] = "",
):
    who = page_principal(request)
    if who is None or not who.is_admin:
        return RedirectResponse(f"/login?{urlencode({'next': QUEUE})}", status_code=303)
    try:
        check_csrf(request, csrf_token)
        if decision not in ("approved", "declined"):
            raise Invalid("decision_invalid", "Approve or decline.")
        applications.review(
            session, who, application_id, approve=decision == "approved", note=note, now=utcnow()
        )
    except DomainError as exc:
        session.rollback()
        return _queue(request, session, error=exc.detail, status_code=status_of(exc))
    return RedirectResponse(QUEUE, status_code=303)
