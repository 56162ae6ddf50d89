"""Housekeeping schedules: expired tokens, idempotency keys and login counters."""

from __future__ import annotations

import datetime as dt

from huey import crontab
from sqlalchemy import delete

from motormall.platform import idempotency
from motormall.platform.auth import AccessToken, LoginFailure
from motormall.platform.config import get_settings
from motormall.platform.db import get_database, utcnow
from motormall.platform.jobs import huey


def purge(now: dt.datetime) -> dict[str, int]:
    settings = get_settings()
    with get_database().transaction() as session:
        keys = idempotency.purge_expired(
            session, older_than=now - dt.timedelta(hours=settings.idempotency_ttl_hours)
        )
        tokens = session.execute(
            delete(AccessToken).where(AccessToken.expires_at < now - dt.timedelta(days=1))
        ).rowcount
        # the longest window any counter uses (logins, registrations, reset requests)
        window_s = max(settings.login_failure_window_s, settings.registration_window_s)
        logins = session.execute(
            delete(LoginFailure).where(
                LoginFailure.window_start < now - dt.timedelta(seconds=window_s)
            )
        ).rowcount
    return {"idempotency_keys": keys, "tokens": tokens, "login_failures": logins}


@huey.periodic_task(crontab(minute="17"))
def hourly_purge():
    return purge(utcnow())
