"""The OEM console's duplicate accounts: suggested pairs with their reasons, a merge with a
note, and the latest merges with an undo."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse

from motormall.customers import merging
from motormall.customers.contacts import contacts_of
from motormall.platform.db import utcnow
from motormall.platform.deps import DbSession, ReadSession
from motormall.platform.errors import DomainError, status_of
from motormall.web.render import check_csrf, error_text, page_principal, render

router = APIRouter(include_in_schema=False)
PAGE = "/oem/customers/duplicates"
PER_PAGE = 50


def _login() -> RedirectResponse:
    return RedirectResponse(f"/login?{urlencode({'next': PAGE})}", status_code=303)


def _page(request, session, *, after=None, error=None, status_code=200):
    pairs = merging.duplicates(session, limit=PER_PAGE + 1, after=after)
    more = len(pairs) > PER_PAGE
    pairs = pairs[:PER_PAGE]
    merges = merging.recent(session, limit=20)
    ids = {i for p in pairs for i in (p.a_id, p.b_id)} | {
        i for m in merges for i in (m.merged_id, m.survivor_id)
    }
    return render(
        request,
        "oem_duplicates.html",
        status_code=status_code,
        pairs=pairs,
        merges=merges,
        people=contacts_of(session, ids),
        next_cursor=f"{pairs[-1].a_id}.{pairs[-1].b_id}" if more else None,
        error=error,
    )


@router.get(PAGE)
def duplicates_page(
    request: Request, session: ReadSession, cursor: Annotated[str, Query(max_length=80)] = ""
):
    who = page_principal(request)
    if who is None or not who.is_admin:
        return _login()
    a, _, b = cursor.partition(".")
    return _page(request, session, after=(a, b) if a and b else None)


@router.post(PAGE + "/merge")
def merge(
    request: Request,
    session: DbSession,
    merged: Annotated[str, Form(max_length=32)],
    into: Annotated[str, Form(max_length=32)],
    note: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Annotated[str, Form()] = "",
):
    who = page_principal(request)
    if who is None or not who.is_admin:
        return _login()
    try:
        check_csrf(request, csrf_token)
        merging.merge(session, who, merged, into=into, note=note, now=utcnow())
    except DomainError as exc:
        session.rollback()
        return _page(request, session, error=error_text(request, exc), status_code=status_of(exc))
    return RedirectResponse(PAGE, status_code=303)


@router.post("/oem/customers/merges/{merge_id}/undo")
def undo(
    merge_id: int, request: Request, session: DbSession, csrf_token: Annotated[str, Form()] = ""
):
    who = page_principal(request)
    if who is None or not who.is_admin:
        return _login()
    try:
        check_csrf(request, csrf_token)
        merging.undo(session, who, merge_id, now=utcnow())
    except DomainError as exc:
        session.rollback()
        return _page(request, session, error=error_text(request, exc), status_code=status_of(exc))
    return RedirectResponse(PAGE, status_code=303)
