"""The customer's identity and consent page: the ID number and photo, biometric consent
explained, what is on file (masked), and deleting the biometrics after a confirmation."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import RedirectResponse

from motormall.customers import identity, rules
from motormall.customers.identity_api import read_upload
from motormall.platform.auth import Role
from motormall.platform.db import utcnow
from motormall.platform.deps import AppSettings, DbSession, ReadSession
from motormall.platform.errors import DomainError, NotFound, status_of
from motormall.web.render import check_csrf, error_text, page_principal, render

router = APIRouter(include_in_schema=False)
PATH = "/identity"


def _customer(request: Request):
    who = page_principal(request)
    if who is None or who.role != Role.customer:
        return None, RedirectResponse(f"/login?{urlencode({'next': PATH})}", status_code=303)
    return who, None


def _page(request, session, who, *, error=None, status_code=200, confirm=False, done=None):
    try:
        on_file = identity.view(identity.identity_of(session, who.user_id))
    except NotFound:
        on_file = None
    return render(
        request,
        "identity.html",
        status_code=status_code,
        on_file=on_file,
        error=error,
        confirm=confirm,
        done=done,
    )


@router.get(PATH)
def identity_page(request: Request, session: ReadSession, confirm: str = "", done: str = ""):
    who, away = _customer(request)
    if away:
        return away
    saved = {"saved": "saved", "deleted": "deleted"}.get(done)
    return _page(request, session, who, confirm=confirm == "delete", done=saved)


@router.post(PATH)
def identity_submit(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    id_number: Annotated[str, Form(max_length=40)],
    id_photo: UploadFile | None = None,
    consent_biometrics: Annotated[bool, Form()] = False,
    csrf_token: Annotated[str, Form()] = "",
):
    who, away = _customer(request)
    if away:
        return away
    try:
        check_csrf(request, csrf_token)
        now = utcnow()
        rules.parse_resident_id(id_number, today=now.date())
        data = read_upload(id_photo)
        photo = (
            identity.read_id_photo(data, consent_biometrics=consent_biometrics)
            if data is not None
            else None
        )
        identity.put_identity(
            session,
            who.user_id,
            id_number=id_number,
            photo=photo,
            consent_biometrics=consent_biometrics,
            now=now,
            settings=settings,
        )
    except DomainError as exc:
        session.rollback()
        return _page(
            request, session, who, error=error_text(request, exc), status_code=status_of(exc)
        )
    return RedirectResponse(f"{PATH}?done=saved", status_code=303)


@router.post(f"{PATH}/delete-biometrics")
def delete_biometrics_submit(
    request: Request, session: DbSession, csrf_token: Annotated[str, Form()] = ""
):
    who, away = _customer(request)
    if away:
        return away
    try:
        check_csrf(request, csrf_token)
    except DomainError as exc:
        return _page(
            request, session, who, error=error_text(request, exc), status_code=status_of(exc)
        )
    identity.delete_biometrics(session, who.user_id, now=utcnow())
    return RedirectResponse(f"{PATH}?done=deleted", status_code=303)
