"""Sending notifications: right after commit, and a sweep every minute for retries."""

from __future__ import annotations

from huey import crontab

from motormall.notifications import channels, delivery
from motormall.platform.config import get_settings
from motormall.platform.db import get_database, utcnow
from motormall.platform.jobs import huey, task


def deliver(notification_id: int) -> str:
    settings = get_settings()
    db = get_database()
    out = delivery.claim(db, notification_id, now=utcnow(), public_url=settings.public_url)
    if out is None:
        return "skipped"
    mailer = channels.Mailer(settings.smtp_url, settings.smtp_from) if settings.smtp_url else None
    sent, failed = delivery.send(out, mailer=mailer, sms=channels.sms_sender(settings.sms_provider))
    return delivery.record(db, notification_id, sent, failed, now=utcnow())


def send_due() -> dict[str, int]:
    counts: dict[str, int] = {}
    for notification_id in delivery.due(get_database(), now=utcnow()):
        status = deliver(notification_id)
        counts[status] = counts.get(status, 0) + 1
    return counts


@task("notifications.send")
def send_notification(notification_id: int) -> str:
    """Right after commit: one attempt; failures wait for the sweep's back-off."""
    return deliver(notification_id)


@huey.periodic_task(crontab(minute="*"))
def notification_sweep():
    return send_due()
