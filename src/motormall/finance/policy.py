"""The carmaker's credit policy: versioned, every PUT a new version, the latest in force.
Applications store the version they were decided under."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from motormall.finance import rules
from motormall.finance.models import CreditPolicy
from motormall.platform import audit
from motormall.platform.errors import Conflict, Invalid

POWERTRAINS = ("ice", "hev", "phev", "bev")
# JSON-safe defaults (decimals as strings); version 0 is this, before any PUT
DEFAULTS: dict = {
    "min_score_hire_purchase": 600,
    "min_score_lease": 620,
    # the strongest profile declared with the contract's required fields alone scores 639:
    # a default above that would refuse every tower buyer who skipped the optional fields
    "min_score_tower": 620,
    "max_debt_to_income": "0.50",
    "min_down_payment_pct": {"ice": "20", "hev": "20", "phev": "15", "bev": "15"},
    "max_term_months": 60,
    # beyond the contract: prices, and how close to a limit a person reviews instead
    "hire_purchase_rate_pct": "4.99",
    "lease_rate_pct": "3.99",
    "arrangement_fee": "800.00",
    "refer_score_margin": 30,
    "refer_dti_margin": "0.05",
    # collections: a late fee once an instalment is this many days overdue; failed debits
    # retried after these many days; after this many failures the contract goes to collections
    "late_fee": "200.00",
    "late_after_days": 3,
    "retry_after_days": [1, 3, 7],
    "max_failed_collections": 3,
}


def current(session: Session) -> tuple[int, dict]:
    row = session.scalar(select(CreditPolicy).order_by(CreditPolicy.version.desc()).limit(1))
    if row is None:
        return 0, dict(DEFAULTS)
    return row.version, {**DEFAULTS, **row.values}


def _check(values: dict) -> None:
    for key in ("min_score_hire_purchase", "min_score_lease", "min_score_tower"):
        if not 350 <= values[key] <= 950:
            raise Invalid("policy_invalid", f"{key} must be on the 350–950 scale.")
    if not Decimal("0") < Decimal(values["max_debt_to_income"]) <= Decimal("1"):
        raise Invalid("policy_invalid", "max_debt_to_income is a fraction of income, 0–1.")
    for p in POWERTRAINS:
        if not Decimal("0") <= Decimal(values["min_down_payment_pct"][p]) < Decimal("100"):
            raise Invalid("policy_invalid", "min_down_payment_pct is a percentage, 0–100.")
    if not rules.MIN_TERM <= values["max_term_months"] <= 84:
        raise Invalid("policy_invalid", f"max_term_months must be {rules.MIN_TERM}–84.")
    for key in ("hire_purchase_rate_pct", "lease_rate_pct"):
        if not Decimal("0") <= Decimal(values[key]) <= Decimal("36"):
            raise Invalid("policy_invalid", f"{key} must be 0–36 (percent a year).")
    if not Decimal("0") <= Decimal(values["arrangement_fee"]) <= Decimal("100000"):
        raise Invalid("policy_invalid", "arrangement_fee must be 0–100,000.")


def update(session: Session, changes: dict, *, actor_id: str, now: dt.datetime) -> tuple[int, dict]:
    """A new version with `changes` (any subset) over the current one; audited."""
    version, values = current(session)
    merged = {**values, **{k: v for k, v in changes.items() if k != "min_down_payment_pct"}}
    merged["min_down_payment_pct"] = {
        **values["min_down_payment_pct"],
        **(changes.get("min_down_payment_pct") or {}),
    }
    _check(merged)
    session.add(
        CreditPolicy(version=version + 1, values=merged, created_by=actor_id, created_at=now)
    )
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # two admins saved at once: the second reloads and tries again
        raise Conflict("policy_changed", "The policy changed meanwhile; reload it.") from None
    audit.record(
        session,
        actor_id=actor_id,
        action="credit_policy.update",
        entity_type="credit_policy",
        entity_id=version + 1,
        detail={"changes": changes},
    )
    return version + 1, merged


def terms(values: dict) -> rules.Terms:
    return rules.Terms(
        hire_purchase_rate=Decimal(values["hire_purchase_rate_pct"]) / 100,
        lease_rate=Decimal(values["lease_rate_pct"]) / 100,
        arrangement_fee=Decimal(values["arrangement_fee"]),
        min_down_payment_pct={
            p: Decimal(v) / 100 for p, v in values["min_down_payment_pct"].items()
        },
        max_term_months=values["max_term_months"],
    )
