"""Keeps the columnar copy of the events current: every five minutes, and on demand."""

from __future__ import annotations

from huey import crontab

from motormall.analytics.store import Store, catch_up
from motormall.platform.config import get_settings
from motormall.platform.db import get_database, utcnow
from motormall.platform.jobs import huey, task


def export(settings=None, db=None) -> int:
    """Copies what is new; returns how many events. Waits for a read that is copying."""
    settings = settings or get_settings()
    store = Store(settings.analytics_dir)
    with store.locked(wait=True), (db or get_database()).reading() as session:
        return catch_up(session.connection(), store, now=utcnow())


@task("analytics.export")
def export_now() -> int:
    return export()


@huey.periodic_task(crontab(minute="*/5"))
def export_sweep() -> int:
    return export()
