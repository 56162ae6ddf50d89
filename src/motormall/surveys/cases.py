"""Cases: a dissatisfied customer's case for the dealer's manager, due within opening hours;
the dealer records what it did; the sweep escalates overdue ones to the carmaker."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from motormall.catalog.models import Dealer
from motormall.leads import sla
from motormall.platform import events, pages
from motormall.platform.auth import Principal
from motormall.platform.errors import Conflict, Invalid, NotFound
from motormall.surveys import rules
from motormall.surveys.events import CaseEscalated, CaseOpened, CaseResolved
from motormall.surveys.models import Case, CaseEvent, Survey


def open_for_survey(session: Session, survey: Survey, *, now: dt.datetime) -> Case:
    dealer = session.get(Dealer, survey.dealer_id)
    due = sla.due_at(now, rules.CASE_DUE_MINUTES, dealer.opening_hours, dealer.timezone)
    case = Case(
        dealer_id=dealer.id,
        customer_id=survey.customer_id,
        survey_token=survey.token,
        due_at=due,
        created_at=now,
    )
    session.add(case)
    session.flush()
    session.add(CaseEvent(case_id=case.id, type="opened", note="", at=now))
    events.publish(
        session,
        CaseOpened(
            entity_id=case.id,
            customer_id=case.customer_id,
            dealer_ids=(dealer.id,),
            at=now,
            due_at=due.isoformat(),
        ),
    )
    return case


def _visible(who: Principal, case: Case | None) -> bool:
    return case is not None and (
        who.is_admin or (who.is_dealer and who.dealer_id == case.dealer_id)
    )


def case_for(session: Session, who: Principal, case_id: str, *, lock: bool = False) -> Case:
    stmt = select(Case).where(Case.id == case_id)
    case = session.scalar(stmt.with_for_update() if lock else stmt)
    if not _visible(who, case):
        raise NotFound("not_found", "No such case.")
    return case


def dealer_cases(
    session: Session,
    who: Principal,
    *,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Case], str | None]:
    """The caller's dealer's cases, by id (keyset pages)."""
    stmt = select(Case).where(Case.dealer_id == who.dealer_id)
    if status:
        stmt = stmt.where(Case.status == status)
    return pages.page(session, stmt, Case.id, limit=limit, cursor=cursor)


def escalated_cases(session: Session, *, limit: int, cursor: str | None):
    stmt = select(Case).where(Case.status == "escalated")
    return pages.page(session, stmt, Case.id, limit=limit, cursor=cursor)


def history(session: Session, case: Case) -> list[CaseEvent]:
    return list(
        session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        )
    )


def record(
    session: Session, who: Principal, case_id: str, *, type: str, note: str, now: dt.datetime
) -> Case:
    """A dealer's (or the carmaker's) action on a case; a resolved case takes no more."""
    if type not in rules.CASE_EVENT_TYPES:
        raise Invalid("invalid_case_event", "type must be note, contacted or resolved.")
    case = case_for(session, who, case_id, lock=True)
    if case.status == "resolved":
        raise Conflict("case_closed", "This case is resolved; it takes no more updates.")
    session.add(CaseEvent(case_id=case.id, type=type, note=note, actor_id=who.user_id, at=now))
    case.status = rules.status_after(case.status, type)
    if case.status == "resolved":
        case.resolved_at = now
        events.publish(
            session,
            CaseResolved(
                entity_id=case.id,
                customer_id=case.customer_id,
                dealer_ids=(case.dealer_id,),
                at=now,
            ),
        )
    session.flush()
    return case


def escalate_overdue(session: Session, *, now: dt.datetime, batch: int = 200) -> int:
    """Cases past due and not resolved go to the carmaker (locked by id, skipping any a
    dealer is updating right now: the next sweep takes them)."""
    due = list(
        session.scalars(
            select(Case)
            .where(Case.status.in_(rules.OVERDUE), Case.due_at <= now)
            .order_by(Case.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
    )
    for case in due:
        case.status, case.escalated_at = "escalated", now
        session.add(CaseEvent(case_id=case.id, type="escalated", note="", at=now))
        events.publish(
            session,
            CaseEscalated(
                entity_id=case.id,
                customer_id=case.customer_id,
                dealer_ids=(case.dealer_id,),
                at=now,
            ),
        )
    session.flush()
    return len(due)
