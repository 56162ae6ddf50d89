"""Scheduled order work: release holds whose time is up."""

from __future__ import annotations

from huey import crontab

from motormall.orders import service
from motormall.platform.db import get_database, utcnow
from motormall.platform.jobs import huey


def release_lapsed_holds() -> int:
    with get_database().transaction() as session:
        return service.expire_due(session, now=utcnow())


@huey.periodic_task(crontab(minute="*"))
def sweep_expired_orders():
    return release_lapsed_holds()
