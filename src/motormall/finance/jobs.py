"""Finance work on a schedule: the daily collection run. Every call to a provider that keeps
its books outside our database (Alipay) happens here, outside any transaction that holds our
rows; each debit's answer is applied through the payments domain's own path (replay guard,
amount check, ledger) in a short transaction."""

from __future__ import annotations

import datetime as dt
import logging

from huey import crontab
from huey.exceptions import RetryTask
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from motormall.finance import collections, contracts, mandates
from motormall.finance.collections import Debit
from motormall.finance.models import FinanceContract, Instalment, Mandate
from motormall.payments import providers
from motormall.payments import service as payments
from motormall.payments.providers import Notice, ProviderError
from motormall.platform import locks
from motormall.platform.config import get_settings
from motormall.platform.db import Database, get_database, utcnow
from motormall.platform.errors import DomainError
from motormall.platform.jobs import huey, task

log = logging.getLogger("motormall.finance")


def _debit(session: Session | None, provider, d: Debit) -> Notice:
    extra = {}
    if session is not None:  # the sandbox: its books are in our database, and so is its knob
        mandate = locks.locked(session, Mandate, d.mandate_id)
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
    return _after(session, d, result, now)


def _after(session, d: Debit, result: str, now) -> str:
    if result == "failed":
        result = collections.collection_failed(session, d.instalment_id, now=now)
    return result


def _lock_batch(session, answered) -> None:
    """The batch's rows, one query per table, in the finance lock order (docs/architecture.md
    "Lock order"): intents, contracts, instalments, then the sandbox's mandates. The contract
    comes before its instalments as in payoff and cancel: a debit's last failure flags it,
    and taking it only then (instalment → contract) could deadlock with a cancel."""
    payments.lock_intents(session, [d.intent_id for d, _ in answered])
    locks.lock_all(session, FinanceContract, [d.contract_id for d, _ in answered])
    locks.lock_all(session, Instalment, [d.instalment_id for d, _ in answered])
    locks.lock_all(session, Mandate, [d.mandate_id for d, notice in answered if notice is None])
    collections.preload_orders(session, [d.order_id for d, _ in answered])


def _apply_batch(session, settings, provider, answered, now) -> list[str]:
    """A batch's answers in one go: its rows locked with one query per table (mandates,
    intents, instalments: the order one debit takes them in), replays found with one, the
    postings written together at commit. Raises on the first domain error."""
    _lock_batch(session, answered)
    noticed = [(d, notice or _debit(session, provider(d.provider), d)) for d, notice in answered]
    results = []
    for name in dict.fromkeys(d.provider for d, _ in noticed):
        mine = [(d, n) for d, n in noticed if d.provider == name]
        outcomes = payments.apply_notices(
            session, name, [n for _, n in mine], settings=settings, now=now
        )
        for (d, _), outcome in zip(mine, outcomes, strict=True):
            results.append(_after(session, d, outcome.result, now))
    return results


def collect_due(
    now: dt.datetime | None = None, *, batch: int = 500, db: Database | None = None
) -> dict[str, int]:
    """Mark late instalments, then debit every instalment due today through its mandate,
    batch by batch, until none is left. Outside providers are asked with no transaction
    open; their answers, and the sandbox's debits, are applied in one transaction per batch:
    all together (`_apply_batch`), or, when one of them fails, again one by one with a
    savepoint each, so one bad answer spoils only itself. Counts per outcome; progress on
    the log."""
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
    done = 0
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
        try:
            with db.transaction() as session:
                results = _apply_batch(session, settings, provider, answered, now)
        except (DomainError, IntegrityError) as exc:
            log.info("batch applied one by one after %s", getattr(exc, "code", exc))
            results = _apply_one_by_one(db, settings, provider, answered, now)
        for result in results:
            count(result)
        done += len(started)
        log.info("collection run: %d instalments debited so far %s", done, counts)


def _apply_one_by_one(db, settings, provider, answered, now) -> list[str]:
    results = []
    with db.transaction() as session:
        _lock_batch(session, answered)  # outside the savepoints, so the locks stay ours
        for d, notice in answered:
            try:
                with session.begin_nested():
                    notice = notice or _debit(session, provider(d.provider), d)
                    result = _apply(session, settings, d, notice, now)
            except DomainError as exc:  # left for the next run; its intent stays pending
                log.warning("collection of %s failed: %s", d.instalment_id, exc.code)
                result = exc.code
            results.append(result)
    return results


def end_mandate_now(mandate_id: str) -> str:
    """Tell the provider a mandate we ended is over, with no transaction open while it is
    asked: `sent`, `retry`, `failed` (a person looks) or `done` (nothing to tell)."""
    settings, db = get_settings(), get_database()
    with db.reading() as session:
        found = mandates.to_end(session, mandate_id)
    if found is None:
        return "done"
    try:
        providers.get(found.provider, settings).end_mandate(
            mandate_id=found.mandate_id, mandate_ref=found.mandate_ref
        )
    except ProviderError as exc:
        log.warning("ending mandate %s at %s refused: %s", mandate_id, found.provider, exc)
        with db.transaction() as session:
            return mandates.end_refused(session, mandate_id, str(exc))
    with db.transaction() as session:
        mandates.ended_at_provider(session, mandate_id, now=utcnow())
    return "sent"


@task("finance.end_mandate", context=True)
def end_mandate(mandate_id: str, task=None) -> str:
    result = end_mandate_now(mandate_id)
    if result == "retry":  # huey's "not yet"; the mandate row counts the attempts
        raise RetryTask(delay=60 * 2 ** (task.retries if task else 0))
    return result


@huey.periodic_task(crontab(minute="15"))
def end_mandates_left():
    """Hourly: mandates whose end a lost job never told (a worker killed mid-run)."""
    with get_database().reading() as session:
        waiting = mandates.waiting(session)
    return {m: end_mandate_now(m) for m in waiting}


@task("finance.render_contract", retries=3, retry_delay=30)
def render_contract(contract_id: str) -> bool:
    """The offered contract's PDF and SHA-256, after the decision committed."""
    with get_database().transaction() as session:
        return contracts.render_document(session, contract_id)


@huey.periodic_task(crontab(hour="1", minute="30"))  # UTC: 09:30 in Shanghai
def collect_instalments():
    return collect_due()
