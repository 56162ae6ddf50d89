"""Finance work on a schedule: the daily collection run. Every call to a provider that keeps
its books outside our database (Alipay) happens here, outside any transaction that holds our
rows; each debit's answer is applied through the payments domain's own path (replay guard,
amount check, ledger) in a short transaction."""

from __future__ import annotations

import datetime as dt
import logging

from huey import crontab
from sqlalchemy.orm import Session

from motormall.finance import collections, contracts
from motormall.finance.collections import Debit
from motormall.finance.models import Mandate
from motormall.payments import providers
from motormall.payments import service as payments
from motormall.payments.providers import Notice, ProviderError
from motormall.platform.config import get_settings
from motormall.platform.db import Database, get_database, utcnow
from motormall.platform.errors import DomainError
from motormall.platform.jobs import huey, task

log = logging.getLogger("motormall.finance")


def _debit(session: Session | None, provider, d: Debit) -> Notice:
    extra = {}
    if session is not None:  # the sandbox: its books are in our database, and so is its knob
        mandate = session.get(Mandate, d.mandate_id, with_for_update=True)
        extra["succeed"] = mandate.sandbox_refusals <= 0
        if not extra["succeed"]:
            mandate.sandbox_refusals -= 1
    return provider.debit(
        intent_id=d.intent_id,
        mandate_ref=d.mandate_ref,
        amount=d.amount,
        currency=d.currency,
        subject=d.subject,
        session=session,
        **extra,
    )


def _apply(session, settings, d: Debit, notice: Notice, now) -> str:
    result = payments.apply_notice(session, d.provider, notice, settings=settings, now=now).result
    if result == "failed":
        result = collections.collection_failed(session, d.instalment_id, now=now)
    return result


def collect_due(
    now: dt.datetime | None = None, *, batch: int = 500, db: Database | None = None
) -> dict[str, int]:
    """Mark late instalments, then debit every instalment due today through its mandate,
    batch by batch, until none is left. Outside providers are asked with no transaction
    open; their answers, and the sandbox's debits, are applied in one transaction per batch
    with a savepoint each, so one bad answer spoils only itself. Counts per outcome."""
    settings, db = get_settings(), db or get_database()
    now = now or utcnow()
    counts: dict[str, int] = {}

    built: dict = {}

    def count(result: str) -> None:
        counts[result] = counts.get(result, 0) + 1

    def provider(name: str):
        if name not in built:  # Alipay's keys are parsed once per run, not per debit
            built[name] = providers.get(name, settings)
        return built[name]

    with db.transaction() as session:
        counts["late"] = collections.mark_late(session, now=now)
    while True:
        with db.transaction() as session:
            started = [
                collections.start_collection(session, i, m, settings=settings, now=now)
                for i, m in collections.due_for_collection(session, now=now, limit=batch)
            ]
        if not started:
            return counts
        # sandbox debits run inside the apply transaction (its books are ours); others now
        answered: list[tuple[Debit, Notice | None]] = []
        for d in started:
            if getattr(provider(d.provider), "books_in_database", False):
                answered.append((d, None))
                continue
            try:
                answered.append((d, _debit(None, provider(d.provider), d)))
            except ProviderError as exc:  # the intent stays pending; reconciliation asks later
                log.warning("debit of %s got no answer: %s", d.instalment_id, exc)
                count("unanswered")
        with db.transaction() as session:
            for d, notice in answered:
                try:
                    with session.begin_nested():
                        notice = notice or _debit(session, provider(d.provider), d)
                        result = _apply(session, settings, d, notice, now)
                except DomainError as exc:  # left for the next run; its intent stays pending
                    log.warning("collection of %s failed: %s", d.instalment_id, exc.code)
                    result = exc.code
                count(result)


@task("finance.render_contract", retries=3, retry_delay=30)
def render_contract(contract_id: str) -> bool:
    """The offered contract's PDF and SHA-256, after the decision committed."""
    with get_database().transaction() as session:
        return contracts.render_document(session, contract_id)


@huey.periodic_task(crontab(hour="1", minute="30"))  # UTC: 09:30 in Shanghai
def collect_instalments():
    return collect_due()
