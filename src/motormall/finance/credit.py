"""A customer's declared credit profile and their score. Flush, never commit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy.orm import Session

from motormall.finance import policy, ports, scoring
from motormall.finance.models import CreditProfile
from motormall.platform import audit
from motormall.platform.config import Settings
from motormall.platform.errors import Invalid, NotFound

OPTIONAL = (
    "current_account",
    "credit_history",
    "savings",
    "guarantor",
    "property",
    "other_instalment_plans",
    "years_at_address",
    "existing_credits",
    "dependants",
)


def age_on(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


REQUIRED = (
    "birth_date",
    "monthly_income",
    "monthly_debt_payments",
    "employment",
    "employment_years",
    "housing",
)


def declared(data: dict, *, now: dt.datetime) -> scoring.Profile:
    """A declared profile checked and ready to score, before anything is stored (so the
    provider can be asked with no transaction open)."""
    age = age_on(data["birth_date"], now.date())
    if not 18 <= age <= 100:
        raise Invalid("age_out_of_range", "Credit is offered to applicants aged 18 to 100.")
    if data["employment_years"] > age - 14:
        raise Invalid("employment_years_invalid", "employment_years is longer than a career.")
    return scoring.Profile(**{k: data[k] for k in REQUIRED}, **{k: data.get(k) for k in OPTIONAL})


def score_declared(customer_id: str, profile: scoring.Profile, *, settings: Settings):
    """The score of a profile not stored yet, from the configured provider (a bureau is an
    outside call: call this with no transaction open)."""
    return ports.provider(settings).score(customer_id, profile, term_months=None)


def save_profile(
    session: Session, customer_id: str, data: dict, *, now: dt.datetime
) -> CreditProfile:
    """Create or replace the customer's declared profile (audited: it decides credit)."""
    declared(data, now=now)
    profile = session.get(CreditProfile, customer_id, with_for_update=True)
    if profile is None:
        profile = CreditProfile(customer_id=customer_id)
        session.add(profile)
    for key in REQUIRED:
        setattr(profile, key, data[key])
    profile.extra = {k: data[k] for k in OPTIONAL if data.get(k) is not None}
    profile.updated_at = now
    session.flush()
    audit.record(
        session,
        actor_id=customer_id,
        action="credit_profile.save",
        entity_type="credit_profile",
        entity_id=customer_id,
    )
    return profile


def profile_of(session: Session, customer_id: str) -> CreditProfile:
    profile = session.get(CreditProfile, customer_id)
    if profile is None:
        raise NotFound("no_credit_profile", "No credit profile yet: PUT /me/credit-profile first.")
    return profile


def as_profile(row: CreditProfile) -> scoring.Profile:
    return scoring.Profile(
        birth_date=row.birth_date,
        monthly_income=row.monthly_income,
        monthly_debt_payments=row.monthly_debt_payments,
        employment=row.employment,
        employment_years=row.employment_years,
        housing=row.housing,
        **{k: row.extra.get(k) for k in OPTIONAL},
    )


def score_of(
    session: Session,
    customer_id: str,
    *,
    settings: Settings,
    term_months: int | None = None,
    new_payment: Decimal = Decimal("0"),
) -> tuple[CreditProfile, scoring.Score]:
    """The customer's score from the configured provider (404 before any profile)."""
    row = profile_of(session, customer_id)
    result = ports.provider(settings).score(
        customer_id, as_profile(row), term_months=term_months, new_payment=new_payment
    )
    return row, result


def meets_tower_minimum(session: Session, customer_id: str, *, settings: Settings) -> bool:
    """For tower test drives: a profile whose score reaches the policy's `min_score_tower`."""
    _, values = policy.current(session)
    try:
        _, result = score_of(session, customer_id, settings=settings)
    except NotFound:
        return False
    return result.score >= values["min_score_tower"]
