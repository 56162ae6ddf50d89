"""Logging in and registering without helping an attacker: throttles, device tokens.

A good login hands the device a signed device token (the `mm_device` cookie on pages, the
`device_token` field of the API's token reply, sent back as the `X-Device-Token` header or
that cookie). A login that carries a valid one for the same account is not slowed by the
account's or the address's failures, so a guesser cannot lock the owner out, nor a carrier
NAT's other buyers. Registration is counted per address, so it cannot test e-mails at speed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fastapi import Request

from motormall.customers.merges import survivor_of
from motormall.platform.auth import (
    User,
    authenticate,
    count_attempt,
    issue_device_token,
    issue_token,
    login_limits,
)
from motormall.platform.config import get_settings
from motormall.platform.db import utcnow
from motormall.platform.errors import RateLimited, Unauthenticated
from motormall.platform.http import client_ip
from motormall.platform.origin import Origin, record_staff

DEVICE_COOKIE = "mm_device"
DEVICE_HEADER = "X-Device-Token"


@dataclass(frozen=True)
class Login:
    user: User
    token: str
    expires: dt.datetime
    device_token: str


def client_address(request: Request) -> str:
    """The caller's address as the edge sees it: behind our own proxy (MOTORMALL_TRUST_PROXY)
    the one it put in X-Forwarded-For, not the proxy's, or every login would share one
    address's failure budget."""
    settings = getattr(request.app.state, "settings", None) or get_settings()
    forwarded = request.headers.get("x-forwarded-for")
    return client_ip(
        request.scope,
        forwarded.encode("latin-1") if forwarded else None,
        trust_proxy=settings.trust_proxy,
    )


def device_token_of(request: Request) -> str | None:
    value = request.headers.get(DEVICE_HEADER) or request.cookies.get(DEVICE_COOKIE)
    return value[:500] if value else None


def login(
    session,
    settings,
    *,
    email: str,
    password: str,
    address: str,
    device_token: str | None = None,
    origin: Origin | None = None,
) -> Login:
    """Check credentials and issue a token; shared by the API and the login page. A dealer's
    staff member's `origin` (network and device hashes) is remembered for survey integrity."""
    now = utcnow()
    limits = login_limits(settings)
    user = authenticate(
        session,
        email=email,
        password=password,
        address=address,
        now=now,
        limits=limits,
        device_token=device_token,
    )
    if user is None:
        session.commit()  # keep the failure count, then refuse
        raise Unauthenticated("invalid_credentials", "E-mail or password is wrong.")
    if survivor_of(session, user.id) is not None:
        # checked after the password, so it tells nothing to someone who lacks it
        raise Unauthenticated(
            "account_merged", "This account was merged into another one. Log in with that one."
        )
    if origin is not None and user.dealer_id is not None:
        record_staff(session, dealer_id=user.dealer_id, user_id=user.id, origin=origin, now=now)
    expires = now + dt.timedelta(hours=settings.token_ttl_hours)
    token = issue_token(session, user, ttl=expires - now, now=now)
    return Login(user, token, expires, issue_device_token(limits, user))


def throttle(session, settings, key: str, *, allowed: int, window_s: int, what: str) -> None:
    """Count one request under `key` and refuse past `allowed` per window (429).

    The count is committed at once, so a request that fails afterwards (a 409, say) still
    counts; refused requests count too, so hammering keeps the window shut.
    """
    if not settings.rate_limits_on:
        return
    now = utcnow()
    n = count_attempt(session, key, now=now, window_s=window_s)
    session.commit()
    if n > allowed:
        raise RateLimited(
            "too_many_requests",
            f"Too many {what} from your network. Try again later.",
            retry_after=window_s,
        )


def throttle_registration(session, settings, address: str) -> None:
    throttle(
        session,
        settings,
        f"register:{address}",
        allowed=settings.registrations_per_address,
        window_s=settings.registration_window_s,
        what="registrations",
    )
