"""Password reset through the notification outbox.

Asking always gets the same answer, whether or not the e-mail has an account. The link holds a
random token of which only the SHA-256 is stored; it works once, within
`MOTORMALL_PASSWORD_RESET_MINUTES`. Using it sets the new password, revokes every access token
and every other reset link of the account, lifts its login lock, writes the audit log and
tells the owner through the outbox.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from motormall.customers.models import PasswordResetToken
from motormall.notifications.service import notify
from motormall.platform import audit
from motormall.platform.auth import (
    User,
    attempts_in_window,
    count_attempt,
    forget_failures,
    normalise_email,
    set_password,
)
from motormall.platform.errors import Invalid

RESET_PATH = "/password-reset/new"
# reset e-mails per account per window: enough for a lost message, too few to flood an inbox
RESETS_PER_ACCOUNT = 3


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_reset(
    session: Session, email: str, *, now: dt.datetime, ttl_minutes: int, window_s: int
) -> None:
    """Send a reset link if the e-mail has an account; nothing tells the caller which."""
    email = normalise_email(email)
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        return
    key = f"reset:{email}"
    if attempts_in_window(session, key, now=now, window_s=window_s) >= RESETS_PER_ACCOUNT:
        return
    count_attempt(session, key, now=now, window_s=window_s)
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordResetToken(
            token_hash=_hash(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + dt.timedelta(minutes=ttl_minutes),
        )
    )
    notify(
        session,
        user.id,
        "password_reset",
        link=f"{RESET_PATH}?token={token}",
        now=now,
        minutes=ttl_minutes,
    )
    audit.record(
        session,
        actor_id=None,
        action="user.password_reset_requested",
        entity_type="user",
        entity_id=user.id,
    )


def reset_password(session: Session, token: str, password: str, *, now: dt.datetime) -> User:
    """Spend `token` (once: a conditional UPDATE) and set `password`."""
    token_hash = _hash(token)
    spent = session.execute(
        update(PasswordResetToken)
        .where(
            PasswordResetToken.token_hash == token_hash,
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.expires_at > now,
        )
        .values(used_at=now)
    ).rowcount
    if not spent:
        raise Invalid(
            "reset_token_invalid",
            "This reset link is not valid: it was used, it expired, or it was mistyped. "
            "Ask for a new one.",
        )
    row = session.get(PasswordResetToken, token_hash)
    user = session.get(User, row.user_id)
    set_password(session, user, password, now=now)  # weak_password rolls the spend back
    session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    forget_failures(session, user.email)
    audit.record(
        session,
        actor_id=user.id,
        action="user.password_reset",
        entity_type="user",
        entity_id=user.id,
    )
    notify(session, user.id, "password_changed", link="/login", now=now)
    return user
