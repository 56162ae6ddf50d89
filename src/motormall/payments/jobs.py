"""Payment work after commit and on a schedule: refunds, reconciliation, and the sandbox
provider's deliveries. Every call to a provider happens here, outside any transaction that
holds our rows."""

from __future__ import annotations

import datetime as dt
import logging
from contextlib import nullcontext

from huey import crontab
from huey.exceptions import RetryTask

from motormall.payments import providers, service
from motormall.payments.providers import ProviderError, sandbox
from motormall.platform.config import get_settings
from motormall.platform.db import get_database, utcnow
from motormall.platform.errors import DomainError
from motormall.platform.jobs import huey, task

log = logging.getLogger("motormall.payments")
REFUND_ATTEMPTS = 6  # about half an hour of back-off, then a person looks


def reconcile_pending(now: dt.datetime | None = None) -> dict[str, int]:
    """Ask the provider about each intent left pending, then apply its answer in a
    transaction of its own; refunds whose job gave up are sent again."""
    settings, db = get_settings(), get_database()
    now = now or utcnow()
    with db.reading() as session:
        waiting = service.awaiting_reconciliation(session, now=now)
        refunds = service.refunds_to_retry(session, now=now)
    counts: dict[str, int] = {}
    for intent_id, provider_name in waiting:
        try:
            # a session for the sandbox's books only; none of our rows is locked meanwhile
            with db.reading() as session:
                notice = providers.get(provider_name, settings).query(
                    intent_id=intent_id, session=session
                )
        except ProviderError:
            counts["unreachable"] = counts.get("unreachable", 0) + 1
            continue
        if notice is None:
            continue
        with db.transaction() as session:
            outcome = service.apply_notice(
                session, provider_name, notice, settings=settings, now=now
            )
        counts[outcome.result] = counts.get(outcome.result, 0) + 1
    for refund_id in refunds:
        result = "refund_" + send_refund_now(refund_id)
        counts[result] = counts.get(result, 0) + 1
    return counts


@huey.periodic_task(crontab(minute="*/5"))
def reconcile_payments():
    return reconcile_pending()


def send_refund_now(refund_id: str) -> str:
    """Send one recorded refund to its provider and record the answer: `sent`, `retry`
    (refused, try later), `failed` (refused REFUND_ATTEMPTS times: a person must look),
    or `done` (nothing pending)."""
    settings, db = get_settings(), get_database()
    with db.reading() as session:
        found = service.refund_to_send(session, refund_id)
    if found is None:
        return "done"
    refund, intent = found
    provider = providers.get(intent.provider, settings)
    # only the sandbox keeps its books in our database; a real provider gets no transaction
    books = db.transaction() if getattr(provider, "books_in_database", False) else nullcontext()
    try:
        with books as session:
            provider_ref = provider.refund(
                intent_id=intent.id,
                provider_ref=intent.provider_ref,
                amount=refund.amount,
                currency=refund.currency,
                refund_id=refund.id,  # the provider's idempotency key: a resend is harmless
                session=session,
            )
    except ProviderError as exc:
        log.warning("refund %s refused by the provider: %s", refund_id, exc)
        with db.transaction() as session:
            return service.refund_failed(session, refund_id, str(exc), max_attempts=REFUND_ATTEMPTS)
    with db.transaction() as session:
        service.refund_sent(session, refund_id, provider_ref, now=utcnow())
    return "sent"


@task("payments.send_refund", context=True)
def send_refund(refund_id: str, task=None) -> str:
    result = send_refund_now(refund_id)
    if result == "retry":
        # RetryTask is huey's "not yet", not an error; the refund row counts the attempts
        raise RetryTask(delay=60 * 2 ** (task.retries if task else 0))
    return result


@task("payments.deliver_sandbox_notification", retries=5, retry_delay=10)
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
