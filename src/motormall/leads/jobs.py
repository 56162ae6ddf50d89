"""Scheduled lead work: SLA re-routing and webhook deliveries."""

from __future__ import annotations

from huey import crontab

from motormall.leads import service, stats, webhooks
from motormall.platform.db import get_database, utcnow
from motormall.platform.jobs import huey, task


def reroute_overdue_leads() -> int:
    with get_database().transaction() as session:
        return service.reroute_overdue(session, now=utcnow())


@huey.periodic_task(crontab(minute="*"))
def sla_sweep():
    return reroute_overdue_leads()


def deliver(delivery_id: str) -> str:
    db = get_database()
    with db.transaction() as session:  # claimed and committed before sending
        outgoing = webhooks.claim(session, delivery_id, now=utcnow())
    if outgoing is None:
        return "skipped"
    error = webhooks.send(outgoing)
    with db.transaction() as session:
        return webhooks.record(session, delivery_id, error, now=utcnow())


def refresh_stats() -> int:
    with get_database().transaction() as session:
        days = service.current_policy(session).performance_days
        return stats.refresh_dealer_stats(session, now=utcnow(), days=days)


@huey.periodic_task(crontab(minute="*/5"))
def dealer_stats_refresh():
    return refresh_stats()


def send_due_webhooks() -> dict[str, int]:
    with get_database().reading() as session:
        ids = webhooks.due(session, now=utcnow())
    counts: dict[str, int] = {}
    for delivery_id in ids:
        status = deliver(delivery_id)
        counts[status] = counts.get(status, 0) + 1
    return counts


@huey.periodic_task(crontab(minute="*"))
def webhook_sweep():
    return send_due_webhooks()


@task("leads.send_webhook")
def send_webhook(delivery_id: str) -> str:
    """Right after commit: one attempt; failures wait for the sweep's back-off."""
    return deliver(delivery_id)
