"""After-sales background work: the day-before reminder (queued by booking and rescheduling
at its time) and the daily maintenance-due run."""

from __future__ import annotations

import datetime as dt

from huey import crontab

from motormall.aftersales import recalls, reminders
from motormall.platform.db import get_database, utcnow
from motormall.platform.jobs import huey, task


@task("aftersales.remind")
def remind(appointment_id: str, start: str) -> bool:
    with get_database().transaction() as session:
        return reminders.remind(
            session, appointment_id, dt.datetime.fromisoformat(start), now=utcnow()
        )


def maintenance_due_run() -> int:
    with get_database().transaction() as session:
        return reminders.send_maintenance_due(session, now=utcnow())


@huey.periodic_task(crontab(hour="1", minute="0"))  # UTC: 09:00 in Shanghai
def maintenance_due():
    return maintenance_due_run()


@task("aftersales.notify_recall")
def notify_recall(recall_id: int) -> int:
    with get_database().transaction() as session:
        return recalls.notify_owners(session, recall_id, now=utcnow())
