"""Finance applications: score and decide an order's hire purchase or lease, store every
input, and let a credit officer settle what the rules referred. Flush, never commit.

Lock order: the order row (orders' `get_for(lock=True)`), then the application row. The
credit provider (possibly an outside bureau) is asked before that transaction opens."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from motormall.catalog.models import CarModel, Vehicle
from motormall.finance import contracts, credit, policy, ports, rules, scoring, underwriting
from motormall.finance.events import FinanceApplicationDecided, FinanceApplicationReviewed
from motormall.finance.models import FinanceApplication
from motormall.orders import service as orders
from motormall.orders.models import Order
from motormall.orders.rules import OrderStatus
from motormall.platform import audit, events
from motormall.platform.auth import Principal
from motormall.platform.config import Settings
from motormall.platform.errors import Conflict, Forbidden, Invalid, NotFound


def _already(existing: FinanceApplication) -> Conflict:
    if existing.outcome == "pending":
        return Conflict(
            "application_pending",
            "This order's finance application is waiting for a credit officer.",
        )
    return Conflict(
        "application_decided",
        f"This order's finance application was already {existing.outcome}.",
        outcome=existing.outcome,
    )


@dataclass(frozen=True)
class Scored:
    """A score fetched before the application's transaction, and what it was based on."""

    customer_id: str
    term_months: int
    new_payment: Decimal
    profile_updated_at: dt.datetime
    result: scoring.Score


def _applicable(session: Session, who: Principal, order: Order) -> None:
    if who.user_id != order.customer_id:
        raise Forbidden("role_not_allowed", "Only the buyer applies for finance.")
    existing = session.scalar(
        select(FinanceApplication).where(FinanceApplication.order_id == order.id)
    )
    if existing is not None:
        raise _already(existing)
    if order.product not in ("hire_purchase", "lease"):
        raise Conflict("not_financed", "A cash order needs no finance application.")
    if order.status == OrderStatus.reserved:
        raise Conflict(
            "deposit_required",
            "Pay the deposit first; then apply for finance.",
            current_status=order.status,
        )
    if order.status != OrderStatus.deposit_paid:
        raise Conflict(
            "illegal_transition",
            f"An order that is {order.status} cannot apply for finance.",
            current_status=order.status,
        )
    if order.currency != "CNY":
        raise Invalid("currency_not_supported", "Finance is offered in CNY only.")


def _quote(session: Session, order: Order, now: dt.datetime):
    version, values = policy.current(session)
    powertrain = session.scalar(
        select(CarModel.powertrain)
        .join(Vehicle, Vehicle.model_id == CarModel.id)
        .where(Vehicle.id == order.vehicle_id)
    )
    quote = rules.quote(
        product=order.product,
        price=order.price,
        term_months=order.term_months,
        down_payment=order.down_payment,
        powertrain=powertrain,
        terms=policy.terms(values),
        start=now.date(),
    )
    return version, values, powertrain, quote


def score_first(
    read: Session, who: Principal, order_id: str, *, now: dt.datetime, settings: Settings
) -> Scored:
    """Step one of an application: read what the score depends on, end that read, then ask
    the credit provider with no transaction open, so a slow or failing bureau holds no lock
    and leaves nothing half-written. `apply` then checks nothing moved meanwhile."""
    order = orders.get_for(read, who, order_id)
    _applicable(read, who, order)
    _, _, _, quote = _quote(read, order, now)
    row = credit.profile_of(read, order.customer_id)
    customer_id, profile, updated = order.customer_id, credit.as_profile(row), row.updated_at
    read.rollback()  # the read ends here: nothing of ours is held during the outside call
    result = ports.provider(settings).score(
        customer_id, profile, term_months=quote.term_months, new_payment=quote.monthly_payment
    )
    return Scored(customer_id, quote.term_months, quote.monthly_payment, updated, result)


def apply(
    session: Session,
    who: Principal,
    order_id: str,
    *,
    now: dt.datetime,
    settings: Settings,
    scored: Scored,
) -> FinanceApplication:
    """Underwrite the buyer's order with the score `score_first` fetched: quote it under the
    current policy and decide. Approved and referred orders move to `financing`; a declined
    one stays as it was. If the quote or the profile changed since the score was fetched,
    409 `credit_inputs_changed` (apply again)."""
    order = orders.get_for(session, who, order_id, lock=True)
    _applicable(session, who, order)
    version, values, powertrain, quote = _quote(session, order, now)
    profile = credit.profile_of(session, order.customer_id)
    if (
        scored.customer_id,
        scored.term_months,
        scored.new_payment,
        scored.profile_updated_at,
    ) != (order.customer_id, quote.term_months, quote.monthly_payment, profile.updated_at):
        raise Conflict(
            "credit_inputs_changed",
            "What the credit score was based on changed meanwhile; apply again.",
        )
    result = scored.result
    dti = scoring.debt_to_income(
        profile.monthly_income, profile.monthly_debt_payments + quote.monthly_payment
    )
    made = underwriting.decide(
        score=result.score, dti_after=dti, product=order.product, policy=values
    )
    reasons = made.codes + [r.code for r in result.reasons if made.decision != "approved"]
    inputs = {
        "profile": {
            "birth_date": profile.birth_date.isoformat(),
            "monthly_income": f"{profile.monthly_income:.2f}",
            "monthly_debt_payments": f"{profile.monthly_debt_payments:.2f}",
            "employment": profile.employment,
            "employment_years": profile.employment_years,
            "housing": profile.housing,
            **profile.extra,
        },
        "price": f"{order.price:.2f}",
        "down_payment": f"{quote.down_payment:.2f}",
        "amount_financed": f"{quote.amount_financed:.2f}",
        "term_months": quote.term_months,
        "monthly_payment": f"{quote.monthly_payment:.2f}",
        "apr": f"{quote.apr:.2f}",
        "rate_pct": f"{quote.rate * 100:.2f}",
        "fee": f"{quote.fee:.2f}",
        "powertrain": powertrain,
        "debt_to_income_after": str(dti) if dti is not None else None,
        "points": result.points,
        "provider": settings.credit_provider,
    }
    app = FinanceApplication(
        order_id=order.id,
        customer_id=order.customer_id,
        product=order.product,
        decision=made.decision,
        outcome="pending" if made.decision == "referred" else made.decision,
        score=result.score,
        reasons=reasons,
        inputs=inputs,
        policy_version=version,
        model_version=result.model_version,
        created_at=now,
    )
    session.add(app)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # a racing second application for the same order
        raise Conflict("application_pending", "A finance application is already made.") from None
    if made.decision != "declined":
        orders.start_financing(session, order, actor_id=who.user_id, now=now)
    if made.decision == "approved":
        contracts.offer(session, app, order, now=now)
    audit.record(
        session,
        actor_id=who.user_id,
        action=f"finance.application.{made.decision}",
        entity_type="finance_application",
        entity_id=app.id,
        detail={
            "order_id": order.id,
            "score": result.score,
            "reasons": reasons,
            "policy_version": version,
            "model_version": result.model_version,
        },
    )
    events.publish(
        session,
        FinanceApplicationDecided(
            entity_id=app.id,
            customer_id=order.customer_id,
            dealer_ids=orders.dealers_of(order),
            at=now,
            order_id=order.id,
            decision=made.decision,
            score=result.score,
            policy_version=version,
            model_version=result.model_version,
        ),
    )
    return app


def for_order(session: Session, who: Principal, order_id: str) -> FinanceApplication:
    order = orders.get_for(session, who, order_id)
    app = session.scalar(select(FinanceApplication).where(FinanceApplication.order_id == order.id))
    if app is None:
        raise NotFound("no_finance_application", f"Order {order_id} has no finance application.")
    return app


def referred(session: Session, *, limit: int = 100) -> list[FinanceApplication]:
    """The queue a credit officer works: pending applications, oldest first."""
    return list(
        session.scalars(
            select(FinanceApplication)
            .where(FinanceApplication.outcome == "pending")
            .order_by(FinanceApplication.created_at, FinanceApplication.id)
            .limit(limit)
        )
    )


def review(
    session: Session,
    who: Principal,
    application_id: str,
    *,
    approve: bool,
    note: str,
    now: dt.datetime,
) -> FinanceApplication:
    """A credit officer approves or declines a referred application, with a note."""
    if not note.strip():
        raise Invalid("note_required", "Say why in a note: it is kept with the decision.")
    app = session.get(FinanceApplication, application_id)
    if app is None:
        raise NotFound("no_finance_application", f"No finance application {application_id}.")
    order = orders.get_for(session, who, app.order_id, lock=True)  # the order first, always
    session.refresh(app, with_for_update=True)
    if app.outcome != "pending":
        raise _already(app)
    app.outcome = "approved" if approve else "declined"
    app.reviewer_id, app.review_note, app.reviewed_at = who.user_id, note.strip(), now
    app.reasons = [*app.reasons, f"{app.outcome}_by_reviewer"]
    if not approve and order.status == OrderStatus.financing:
        orders.financing_declined(session, order, actor_id=who.user_id, now=now)
    if approve:
        contracts.offer(session, app, order, now=now)
    audit.record(
        session,
        actor_id=who.user_id,
        action=f"finance.application.review_{app.outcome}",
        entity_type="finance_application",
        entity_id=app.id,
        detail={"order_id": app.order_id, "note": app.review_note},
    )
    events.publish(
        session,
        FinanceApplicationReviewed(
            entity_id=app.id,
            customer_id=app.customer_id,
            dealer_ids=orders.dealers_of(order),
            at=now,
            order_id=app.order_id,
            outcome=app.outcome,
        ),
    )
    return app


def stats(session: Session) -> dict:
    """For the OEM console: applications by outcome and the average score."""
    rows = session.execute(
        select(
            FinanceApplication.outcome, func.count(), func.avg(FinanceApplication.score)
        ).group_by(FinanceApplication.outcome)
    ).all()
    by = {outcome: (n, avg) for outcome, n, avg in rows}
    total = sum(n for n, _ in by.values())
    decided = by.get("approved", (0, 0))[0] + by.get("declined", (0, 0))[0]
    scores = [float(avg) * n for n, avg in by.values() if avg is not None]
    return {
        "applications": total,
        "approved": by.get("approved", (0, 0))[0],
        "declined": by.get("declined", (0, 0))[0],
        "pending": by.get("pending", (0, 0))[0],
        "approval_rate": round(by.get("approved", (0, 0))[0] / decided, 3) if decided else None,
        "average_score": round(sum(scores) / total) if total else None,
    }
