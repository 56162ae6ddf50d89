"""Finance work on a schedule: the daily collection run. Every provider call happens here,
outside any transaction that holds our rows; each debit's answer is applied through the
payments domain's own notification path (signature, replay guard, ledger)."""

from __future__ import annotations

import datetime as dt
import logging

from huey import crontab
from sqlalchemy import select

from motormall.finance import collections
from motormall.finance.models import Instalment, Mandate
from motormall.payments import service as payments
from motormall.payments.models import PaymentIntent
from motormall.payments.providers import sandbox
from motormall.platform.config import Settings, get_settings
from motormall.platform.db import Database, get_database, utcnow
from motormall.platform.errors import DomainError
from motormall.platform.jobs import huey

log = logging.getLogger("motormall.finance")


def _debit_at_sandbox(session, settings: Settings, intent_id: str) -> tuple[dict, bytes]:
    """The sandbox bank debits through the mandate (or refuses, when told to) and answers
    with a signed notification, as Alipay's agreement pay answers a debit request. The
    sandbox keeps its books in our database, so this runs inside the batch's transaction; a
    real provider's debit call would go outside it, and its answers be applied the same way."""
    intent = session.get(PaymentIntent, intent_id)
    contract_id = session.get(Instalment, intent.payable_id).contract_id
    mandate = session.scalar(
        select(Mandate).where(Mandate.contract_id == contract_id).with_for_update()
    )
    succeed = mandate.sandbox_refusals <= 0
    if not succeed:
        mandate.sandbox_refusals -= 1
    payment = sandbox.take_payment(
        session,
        intent_id=intent.id,
        amount=intent.amount,
        currency=intent.currency,
        succeed=succeed,
    )
    return sandbox.signed_notification(settings, payment)


def collect_due(
    now: dt.datetime | None = None, *, batch: int = 500, db: Database | None = None
) -> dict[str, int]:
    """Mark late instalments, then debit every instalment due today through its mandate,
    batch by batch, until none is left. Each debit's answer is applied through payments'
    notification path in a savepoint of its own, so one bad answer spoils only itself and a
    batch costs one commit. Returns counts per outcome."""
    settings, db = get_settings(), db or get_database()
    now = now or utcnow()
    counts: dict[str, int] = {}
    with db.transaction() as session:
        counts["late"] = collections.mark_late(session, now=now)
    while True:
        with db.transaction() as session:
            due = collections.due_for_collection(session, now=now, limit=batch)
            started = [
                (collections.start_collection(session, i, settings=settings, now=now), i.id)
                for i in due
            ]
        if not started:
            return counts
        with db.transaction() as session:
            for intent_id, instalment_id in started:
                try:
                    with session.begin_nested():
                        headers, body = _debit_at_sandbox(session, settings, intent_id)
                        result = payments.handle_notification(
                            session, "sandbox", headers, body, settings=settings, now=now
                        ).result
                        if result == "failed":
                            result = collections.collection_failed(session, instalment_id, now=now)
                except DomainError as exc:  # left for the next run; its intent stays pending
                    log.warning("collection of %s failed: %s", instalment_id, exc.code)
                    result = exc.code
                counts[result] = counts.get(result, 0) + 1


@huey.periodic_task(crontab(hour="1", minute="30"))  # UTC: 09:30 in Shanghai
def collect_instalments():
    return collect_due()
