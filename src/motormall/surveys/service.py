"""Surveys: created from other domains' facts, listed for their customer, answered once by
token. A dissatisfied answer opens a case (cases.py). No HTTP; flushes, never commits."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from motormall.notifications.service import notify
from motormall.orders import service as orders
from motormall.platform import events
from motormall.platform.errors import Conflict, Invalid, NotFound
from motormall.platform.origin import Origin, StaffOrigin, staff_origins
from motormall.surveys import cases, rules
from motormall.surveys import integrity as integrity_rules
from motormall.surveys.events import SurveyAnswered
from motormall.surveys.models import Case, Survey
from motormall.surveys.sentiment import mood

ABOUT = ("handover", "service", "test_drive", "case")


def create(
    session: Session,
    *,
    customer_id: str,
    dealer_id: int,
    about: str,
    subject_id: str,
    now: dt.datetime,
) -> Survey | None:
    """A survey with a one-time token, and its link sent to the customer through the outbox.
    The same handover or visit twice makes no second survey (returns None)."""
    if about not in ABOUT:
        raise ValueError(f"no survey about {about!r}")
    known = session.scalar(
        select(Survey.token).where(Survey.about == about, Survey.subject_id == subject_id)
    )
    if known is not None:
        return None
    survey = Survey(
        token=secrets.token_urlsafe(24),
        customer_id=customer_id,
        dealer_id=dealer_id,
        about=about,
        subject_id=subject_id,
        created_at=now,
        expires_at=now + rules.SURVEY_VALID,
    )
    try:
        with session.begin_nested():
            session.add(survey)
            session.flush()
    except IntegrityError:
        return None  # a concurrent delivery of the same fact made it
    notify(session, customer_id, f"survey_{about}", link=f"/surveys/{survey.token}", now=now)
    return survey


def open_surveys(session: Session, customer_id: str, *, now: dt.datetime) -> list[Survey]:
    return list(
        session.scalars(
            select(Survey)
            .where(
                Survey.customer_id == customer_id,
                Survey.answered_at.is_(None),
                Survey.expires_at > now,
            )
            .order_by(Survey.expires_at, Survey.token)
        )
    )


def by_token(session: Session, token: str) -> Survey:
    survey = session.get(Survey, token) if 0 < len(token) <= 64 else None
    if survey is None:
        raise NotFound("survey_not_found", "This survey link is not one we sent.")
    return survey


def answer(
    session: Session,
    token: str,
    *,
    csat: int,
    nps: int,
    incentive_offered: bool,
    comment: str,
    now: dt.datetime,
    resolved: bool | None = None,
    origin: Origin | None = None,
) -> Survey:
    """Record the one answer a token takes: a conditional UPDATE, so of two answers at once
    exactly one lands (409 `already_answered` for the other); an expired token → 409
    `survey_expired`. A dissatisfied answer opens a case for the dealer's manager; on a
    survey about a closed case, `resolved` is required and "no" reopens that case instead.
    `origin`: the answering network and device as keyed hashes, for the integrity screen."""
    survey = by_token(session, token)
    if survey.about == "case" and resolved is None:
        raise Invalid("resolved_required", "Tell us whether your problem was resolved.")
    if survey.answered_at is not None:
        raise Conflict("already_answered", "This survey has already been answered. Thank you.")
    if survey.expires_at <= now:
        raise Conflict("survey_expired", "This survey has closed.")
    done = session.execute(
        update(Survey)
        .where(Survey.token == token, Survey.answered_at.is_(None))
        .values(
            answered_at=now,
            csat=csat,
            nps=nps,
            incentive_offered=incentive_offered,
            comment=comment,
            resolved=resolved if survey.about == "case" else None,
            answer_network=origin.network if origin else None,
            answer_device=origin.device if origin else None,
            comment_mood=(mood(comment) or "neutral") if comment.strip() else None,
        )
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise Conflict("already_answered", "This survey has already been answered. Thank you.")
    session.refresh(survey)
    unhappy = rules.dissatisfied(csat, nps)
    events.publish(
        session,
        SurveyAnswered(
            entity_id=survey.token[:12],  # never the whole token: the timeline is not secret
            customer_id=survey.customer_id,
            at=now,
            about=survey.about,
            dissatisfied=unhappy,
        ),
    )
    if survey.about == "case":
        case_id = survey.subject_id.split(":")[0]
        cases.answered_after_close(session, case_id, resolved=bool(resolved), now=now)
    elif unhappy:
        cases.open_for_survey(session, survey, now=now)
    return survey


def network_counts(session: Session) -> dict[int, tuple[int, int, int]]:
    """(perfect, unhappy, responses) of every dealer's answered surveys."""
    rows = session.execute(
        select(
            Survey.dealer_id,
            func.count().filter(Survey.csat == 5, Survey.nps == 10),
            func.count().filter(or_(Survey.csat <= 3, Survey.nps <= 6)),
            func.count(),
        )
        .where(Survey.answered_at.is_not(None))
        .group_by(Survey.dealer_id)
    )
    return {d: (int(k), int(u), int(n)) for d, k, u, n in rows}


def _from_staff_origin(survey=Survey):
    """The answer came from a network or device the dealer's own staff log in from."""
    return exists().where(
        StaffOrigin.dealer_id == survey.dealer_id,
        or_(
            and_(StaffOrigin.kind == "network", StaffOrigin.hash == survey.answer_network),
            and_(StaffOrigin.kind == "device", StaffOrigin.hash == survey.answer_device),
        ),
    )


def from_staff_counts(session: Session) -> dict[int, int]:
    """Per dealer, its answers that came from its own staff's networks or devices."""
    rows = session.execute(
        select(Survey.dealer_id, func.count())
        .where(Survey.answered_at.is_not(None), _from_staff_origin())
        .group_by(Survey.dealer_id)
    )
    return {d: int(n) for d, n in rows}


def _customer_behaviour(session: Session, dealer_id: int) -> dict[str, set[str]]:
    """What each customer did with this dealer that a happy one would not: complained
    ("complaint"), answered so badly a case opened ("case"), returned the car ("return")."""
    found: dict[str, set[str]] = {}
    for customer_id, source in session.execute(
        select(Case.customer_id, Case.source).where(Case.dealer_id == dealer_id).distinct()
    ):
        found.setdefault(customer_id, set()).add("complaint" if source == "complaint" else "case")
    for customer_id in orders.customers_who_returned(session, dealer_id):
        found.setdefault(customer_id, set()).add("return")
    return found


def _answers(session: Session, where, *, dealer_ids) -> dict[int, list[integrity_rules.Answer]]:
    """Answered surveys as the integrity rules read them, per dealer: with each customer's
    other behaviour with that dealer and the dealer's staff origins the answer came from."""
    rows = session.execute(
        select(
            Survey.dealer_id,
            Survey.token,
            Survey.about,
            Survey.customer_id,
            Survey.csat,
            Survey.nps,
            Survey.incentive_offered,
            Survey.comment,
            Survey.created_at,
            Survey.answered_at,
            Survey.answer_network,
            Survey.answer_device,
            Survey.comment_mood,
        ).where(Survey.answered_at.is_not(None), *where)
    ).all()
    dealers = set(dealer_ids) if dealer_ids is not None else {r.dealer_id for r in rows}
    behaviour = {d: _customer_behaviour(session, d) for d in dealers}
    staff = {d: staff_origins(session, d) for d in dealers}
    out: dict[int, list[integrity_rules.Answer]] = {}
    for r in rows:
        if r.dealer_id not in dealers:
            continue
        mine = staff[r.dealer_id]
        origins = (("network", r.answer_network), ("device", r.answer_device))
        out.setdefault(r.dealer_id, []).append(
            integrity_rules.Answer(
                csat=r.csat,
                nps=r.nps,
                incentive_offered=bool(r.incentive_offered),
                seconds_after_sent=(r.answered_at - r.created_at).total_seconds(),
                ref=r.token[:12],  # as on the timeline: never the whole token
                about=r.about,
                comment=r.comment or "",
                customer_behaviour=tuple(sorted(behaviour[r.dealer_id].get(r.customer_id, ()))),
                from_staff=tuple(f"{k}:{h}" for k, h in origins if h and (k, h) in mine),
                mood=r.comment_mood or "",
            )
        )
    return out


def answer_flags(
    session: Session,
    *,
    start: dt.datetime,
    end: dt.datetime,
    dealer_ids: tuple[int, ...] | None = None,
) -> dict[int, list[dict]]:
    """Per dealer, the signals that need each answer (origins, contradictions) over answers
    given in [start, end): what the carmaker's league table adds to the ones it counts."""
    answers = _answers(
        session, (Survey.answered_at >= start, Survey.answered_at < end), dealer_ids=None
    )
    total = sum(len(a) for a in answers.values())
    from_staff = {d: sum(bool(x.from_staff) for x in a) for d, a in answers.items()}
    staff_total = sum(from_staff.values())
    return {
        d: integrity_rules.answer_flags(
            a,
            network_from_staff=staff_total - from_staff[d],
            network_responses=total - len(a),
        )
        for d, a in answers.items()
        if dealer_ids is None or d in dealer_ids
    }


def integrity(
    session: Session,
    dealer_id: int,
    *,
    network: dict | None = None,
    from_staff: dict | None = None,
) -> integrity_rules.Report:
    """The dealer's answered surveys weighed against the rest of the network's (`network`:
    `network_counts`, `from_staff`: `from_staff_counts`, passed in when screening many
    dealers)."""
    answers = _answers(session, (Survey.dealer_id == dealer_id,), dealer_ids=(dealer_id,))
    answers = answers.get(dealer_id, [])
    network = network_counts(session) if network is None else network
    from_staff = from_staff_counts(session) if from_staff is None else from_staff
    others = [c for d, c in network.items() if d != dealer_id]
    return integrity_rules.assess(
        answers,
        network_responses=sum(n for _, _, n in others),
        network_perfect=sum(k for k, _, _ in others),
        fit=integrity_rules.fit_network(others),
        network_from_staff=sum(n for d, n in from_staff.items() if d != dealer_id),
    )
