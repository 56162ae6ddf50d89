"""Password reset over the API: ask for a link, then spend it on a new password."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from motormall.customers import passwords, schemas
from motormall.customers.security import client_address, throttle
from motormall.platform.db import utcnow
from motormall.platform.deps import AppSettings, DbSession

router = APIRouter(tags=["accounts"])

SAME_ANSWER = "If an account has this e-mail, a reset link is on its way to it."


def ask_for_reset(session, settings, email: str, address: str) -> None:
    """Shared by the API and the page: counted per address (429 past the ceiling), then the
    same quiet answer whatever the e-mail."""
    throttle(
        session,
        settings,
        f"reset-address:{address}",
        allowed=settings.registrations_per_address,
        window_s=settings.registration_window_s,
        what="password reset requests",
    )
    passwords.request_reset(
        session,
        email,
        now=utcnow(),
        ttl_minutes=settings.password_reset_minutes,
        window_s=settings.registration_window_s,
    )


@router.post("/auth/password-reset", status_code=202, response_model=schemas.PasswordResetAccepted)
def request_password_reset(
    body: schemas.PasswordResetIn, request: Request, session: DbSession, settings: AppSettings
):
    """E-mail a one-time reset link. The answer is the same whether or not the e-mail has an
    account; the link works once, for `MOTORMALL_PASSWORD_RESET_MINUTES`."""
    ask_for_reset(session, settings, body.email, client_address(request))
    return schemas.PasswordResetAccepted(detail=SAME_ANSWER)


@router.post("/auth/password-reset/confirm", status_code=204)
def set_new_password(body: schemas.NewPasswordIn, session: DbSession):
    """Spend a reset token on a new password: every token of the account is revoked.
    A used, expired or unknown token → 422 `reset_token_invalid`; a weak password → 422
    `weak_password` (the token still works)."""
    passwords.reset_password(session, body.token, body.password, now=utcnow())
    return Response(status_code=204)
