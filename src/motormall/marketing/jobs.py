"""Scheduled marketing work: campaigns launch when their start comes."""

from __future__ import annotations

from huey import crontab

from motormall.marketing import launch
from motormall.platform.db import get_database, utcnow
from motormall.platform.jobs import huey


@huey.periodic_task(crontab(minute="*"))
def launch_due_campaigns():
    with get_database().transaction() as session:
        return launch.launch_due(session, now=utcnow())
