"""Surveys' background work: the sweep that escalates overdue cases to the carmaker."""

from __future__ import annotations

from huey import crontab

from motormall.platform.db import get_database, utcnow
from motormall.platform.jobs import huey
from motormall.surveys import cases


def escalate_overdue_cases() -> int:
    with get_database().transaction() as session:
        return cases.escalate_overdue(session, now=utcnow())


@huey.periodic_task(crontab(minute="*/5"))
def case_sweep():
    return escalate_overdue_cases()
