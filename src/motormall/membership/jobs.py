"""Scheduled membership work: points past their date lapse, and tiers follow the rolling year."""

from __future__ import annotations

from huey import crontab

from motormall.membership import service
from motormall.platform.db import get_database, utcnow
from motormall.platform.jobs import huey


@huey.periodic_task(crontab(minute="17", hour="3"))
def expire_points():
    with get_database().transaction() as session:
        return service.expire_due(session, now=utcnow())
