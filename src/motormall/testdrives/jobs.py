"""Scheduled test-drive work: chase tower cars past their due time (and lapse bookings
never collected)."""

from __future__ import annotations

from huey import crontab

from motormall.platform.db import get_database, utcnow
from motormall.platform.jobs import huey, task
from motormall.testdrives import tower


def chase_overdue_drives() -> int:
    with get_database().transaction() as session:
        return tower.chase_overdue(session, now=utcnow())


@task("testdrives.chase_overdue")
def chase_overdue() -> int:
    return chase_overdue_drives()


@huey.periodic_task(crontab(minute="*/15"))
def overdue_sweep():
    return chase_overdue_drives()
