"""Ending a mandate at its provider after we ended it (an order cancelled, a car returned):
recorded in the transaction that ends it, told to the provider by the job
`finance.end_mandate` after commit (Alipay's `alipay.user.agreement.unsign`), with no
transaction holding our rows while the provider is asked; a refusal is retried and, after
END_ATTEMPTS, stays `failed` on the mandate and in the audit log for a person. Flush, never
commit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from motormall.finance.models import Mandate
from motormall.platform import audit, jobs

END_ATTEMPTS = 6  # with the job's back-off about two hours, then a person looks


@dataclass(frozen=True)
class ToEnd:
    mandate_id: str
    provider: str
    mandate_ref: str


def end_at_provider(session: Session, mandate: Mandate) -> None:
    """`mandate` (locked) was just ended by us: tell its provider after commit, if the buyer
    had signed there (a mandate never signed has no agreement to end)."""
    if mandate.provider_ref and mandate.provider_end is None:
        mandate.provider_end = "pending"
        jobs.after_commit(session, "finance.end_mandate", mandate.id)


def to_end(session: Session, mandate_id: str) -> ToEnd | None:
    m = session.get(Mandate, mandate_id)
    if m is None or m.provider_end != "pending":
        return None  # told already (a repeated job is harmless), or nothing to tell
    return ToEnd(m.id, m.provider, m.provider_ref or "")


def ended_at_provider(session: Session, mandate_id: str, *, now: dt.datetime) -> None:
    m = session.get(Mandate, mandate_id, with_for_update=True)
    if m is not None and m.provider_end == "pending":
        m.provider_end, m.end_error = "done", None
        audit.record(
            session,
            actor_id=None,
            action="finance.mandate.ended_at_provider",
            entity_type="finance_mandate",
            entity_id=m.id,
            detail={"provider": m.provider, "provider_ref": m.provider_ref, "at": now.isoformat()},
        )


def end_refused(session: Session, mandate_id: str, error: str) -> str:
    """The provider refused or could not be reached: `retry` later, or `failed` after
    END_ATTEMPTS (audited, and left on the mandate for a person)."""
    m = session.get(Mandate, mandate_id, with_for_update=True)
    if m is None or m.provider_end != "pending":
        return "done"
    m.end_attempts += 1
    m.end_error = error[:200]
    if m.end_attempts < END_ATTEMPTS:
        return "retry"
    m.provider_end = "failed"
    audit.record(
        session,
        actor_id=None,
        action="finance.mandate.end_failed",
        entity_type="finance_mandate",
        entity_id=m.id,
        detail={"provider": m.provider, "error": m.end_error, "attempts": m.end_attempts},
    )
    return "failed"


def waiting(session: Session) -> list[str]:
    """Mandates still to be ended at their provider (the sweep's list)."""
    return list(
        session.scalars(
            select(Mandate.id).where(Mandate.provider_end == "pending").order_by(Mandate.id)
        )
    )


def failed(session: Session) -> list[Mandate]:
    """Mandates the provider would not end: a person must (the OEM console lists them)."""
    return list(session.scalars(select(Mandate).where(Mandate.provider_end == "failed")))
