"""Scheduled payment work: reconciliation, and the sandbox provider's deliveries."""

from __future__ import annotations

import logging

from huey import crontab

from motormall.payments import service
from motormall.payments.providers import sandbox
from motormall.platform.config import get_settings
from motormall.platform.db import get_database, utcnow
from motormall.platform.errors import DomainError
from motormall.platform.jobs import huey

log = logging.getLogger("motormall.payments")


def reconcile_pending() -> dict[str, int]:
    with get_database().transaction() as session:
        return service.reconcile(session, settings=get_settings(), now=utcnow())


@huey.periodic_task(crontab(minute="*/5"))
def reconcile_payments():
    return reconcile_pending()


@huey.task(retries=5, retry_delay=10)
def deliver_sandbox_notification(ref: str, notification_id: str) -> str:
    """The sandbox 'calls' our notify endpoint: same verification path as over HTTP."""
    settings = get_settings()
    with get_database().transaction() as session:
        payment = session.get(sandbox.SandboxPayment, ref)
        headers, body = sandbox.signed_notification(settings, payment, notification_id)
    try:
        with get_database().transaction() as session:
            outcome = service.handle_notification(
                session, "sandbox", headers, body, settings=settings, now=utcnow()
            )
    except DomainError as exc:
        log.warning("sandbox notification %s refused: %s", notification_id, exc.code)
        return exc.code
    return outcome.result
