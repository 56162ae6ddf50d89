"""Password reset pages: ask for a link, then choose a new password with it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from motormall.customers import passwords
from motormall.customers.passwords_api import ask_for_reset
from motormall.customers.security import client_address
from motormall.platform.db import utcnow
from motormall.platform.deps import AppSettings, DbSession
from motormall.platform.errors import DomainError, RateLimited
from motormall.web.render import check_csrf, error_text, render

router = APIRouter(include_in_schema=False)


@router.get("/password-reset")
def reset_request_page(request: Request):
    return render(request, "password_reset.html", sent=False, error=None)


@router.post("/password-reset")
def reset_request_submit(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    email: Annotated[str, Form(max_length=254)],
    csrf_token: Annotated[str, Form()] = "",
):
    try:
        check_csrf(request, csrf_token)
        ask_for_reset(session, settings, email, client_address(request))
    except DomainError as exc:
        status = 429 if isinstance(exc, RateLimited) else 400
        return render(
            request,
            "password_reset.html",
            status_code=status,
            sent=False,
            error=error_text(request, exc),
        )
    return render(request, "password_reset.html", sent=True, error=None)


@router.get(passwords.RESET_PATH)
def new_password_page(request: Request, token: str = ""):
    return render(request, "password_new.html", token=token[:200], error=None)


@router.post(passwords.RESET_PATH)
def new_password_submit(
    request: Request,
    session: DbSession,
    token: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form()] = "",
):
    try:
        check_csrf(request, csrf_token)
        passwords.reset_password(session, token, password, now=utcnow())
    except DomainError as exc:
        session.rollback()
        return render(
            request,
            "password_new.html",
            status_code=422,
            token=token,
            error=error_text(request, exc),
        )
    return RedirectResponse("/login?reset=1", status_code=303)
