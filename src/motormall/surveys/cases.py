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
from motormall.surveys.events import CaseEscalated, CaseOpened, CaseReopened, CaseResolved
from motormall.surveys.models import Case, CaseEvent, Survey


def _due(dealer: Dealer, now: dt.datetime) -> dt.datetime:
    return sla.due_at(now, rules.CASE_DUE_MINUTES, dealer.opening_hours, dealer.timezone)


def open_for_survey(session: Session, survey: Survey, *, now: dt.datetime) -> Case:
    dealer = session.get(Dealer, survey.dealer_id)
    case = Case(
        dealer_id=dealer.id,
        customer_id=survey.customer_id,
        survey_token=survey.token,
        source="survey",
        due_at=_due(dealer, now),
        created_at=now,
    )
    return _opened(session, case, dealer, now=now)


def open_for_complaint(
    session: Session, who: Principal, *, dealer_code: str, about: str, text: str, now
) -> Case:
    """A customer's complaint about a dealer opens a case for that dealer's manager, due in
    its opening hours like any other (and escalated to the carmaker when overdue)."""
    if about not in rules.COMPLAINT_ABOUT:
        raise Invalid("invalid_about", "about must be sales, service, parts or other.")
    dealer = session.scalar(select(Dealer).where(Dealer.code == dealer_code.strip().upper()))
    if dealer is None:
        raise NotFound("dealer_not_found", "No such dealer.")
    case = Case(
        dealer_id=dealer.id,
        customer_id=who.user_id,
        source="complaint",
        about=about,
        text=text,
        due_at=_due(dealer, now),
        created_at=now,
    )
    return _opened(session, case, dealer, now=now)


def _opened(session: Session, case: Case, dealer: Dealer, *, now: dt.datetime) -> Case:
    due = case.due_at
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
        case.resolutions += 1  # the question to the customer is about this resolution
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


def customer_cases(session: Session, customer_id: str) -> list[Case]:
    return list(
        session.scalars(
            select(Case).where(Case.customer_id == customer_id).order_by(Case.created_at.desc())
        )
    )


def worklist(session: Session, dealer_id: int, *, limit: int = 200) -> list[Case]:
    """The dealer's unresolved cases, the most overdue first (due time ascending)."""
    return list(
        session.scalars(
            select(Case)
            .where(Case.dealer_id == dealer_id, Case.status != "resolved")
            .order_by(Case.due_at, Case.id)
            .limit(limit)
        )
    )


def answered_after_close(
    session: Session, case_id: str, *, resolved: bool, now: dt.datetime
) -> Case | None:
    """The customer's answer to "was it resolved?": no reopens the case (due again in the
    dealer's opening hours); yes is recorded. Only a resolved case is reopened."""
    case = session.scalar(select(Case).where(Case.id == case_id).with_for_update())
    if case is None:
        return None
    if not resolved and case.status == "resolved":
        dealer = session.get(Dealer, case.dealer_id)
        case.status, case.resolved_at, case.escalated_at = "open", None, None
        case.due_at = _due(dealer, now)
        session.add(CaseEvent(case_id=case.id, type="reopened", note="", at=now))
        events.publish(
            session,
            CaseReopened(
                entity_id=case.id,
                customer_id=case.customer_id,
                dealer_ids=(case.dealer_id,),
                at=now,
                due_at=case.due_at.isoformat(),
            ),
        )
    elif resolved:
        session.add(CaseEvent(case_id=case.id, type="confirmed", note="", at=now))
    session.flush()
    return case
