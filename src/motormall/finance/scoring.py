"""The built-in credit scorecard at run time: a declared profile → bins → points → a score on
350–950 and the reasons that cost the most points. Pure: no database, no clock (pass
`today`). The points come from `scorecard.json`, written by `finance/training.py`."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

ARTEFACT = Path(__file__).with_name("scorecard.json")

# our declared values → the German data's categories the points were learnt on
CATEGORIES = {
    "current_account": {
        "overdrawn": "... < 0 DM",
        "low": "0 <= ... < 200 DM",
        "healthy": "... >= 200 DM / salary assignments for at least 1 year",
        "none": "no checking account",
    },
    "credit_history": {
        "none_taken": "no credits taken/ all credits paid back duly",
        "all_repaid_here": "all credits at this bank paid back duly",
        "paying_duly": "existing credits paid back duly till now",
        "past_delays": "delay in paying off in the past",
        "critical": "critical account/ other credits existing (not at this bank)",
    },
    "savings": {
        "little": "... < 100 DM",
        "moderate": "100 <= ... < 500 DM",
        "substantial": "500 <= ... < 1000 DM",
        "large": "... >= 1000 DM",
        "none": "unknown/ no savings account",
    },
    "guarantor": {"none": "none", "co_applicant": "co-applicant", "guarantor": "guarantor"},
    "property": {
        "real_estate": "real estate",
        "savings_or_insurance": "building society savings agreement/ life insurance",
        "car_or_other": "car or other, not in attribute Savings account/bonds",
        "none": "unknown / no property",
    },
    "other_instalment_plans": {"none": "none", "bank": "bank", "stores": "stores"},
    "housing": {"own": "own", "rent": "rent", "family": "for free"},
}
JOB = {
    "self_employed": "management/ self-employed/ highly qualified employee/ officer",
    "employed": "skilled employee / official",
    "retired": "unskilled - resident",
    "student": "unskilled - resident",
    "unemployed": "unemployed/ unskilled - non-resident",
}
BANDS = ((700, "excellent"), (650, "very_good"), (600, "good"), (550, "fair"), (0, "poor"))


@dataclass(frozen=True)
class Profile:
    """A declared profile; the optional fields may be None (their points are then neutral)."""

    birth_date: dt.date
    monthly_income: Decimal
    monthly_debt_payments: Decimal
    employment: str
    employment_years: int
    housing: str
    current_account: str | None = None
    credit_history: str | None = None
    savings: str | None = None
    guarantor: str | None = None
    property: str | None = None
    other_instalment_plans: str | None = None
    years_at_address: int | None = None
    existing_credits: int | None = None
    dependants: int | None = None


@dataclass(frozen=True)
class Reason:
    code: str  # the feature, e.g. "current_account"; "<feature>_not_declared" when unknown
    points_lost: int


@dataclass(frozen=True)
class Score:
    score: int
    band: str
    reasons: list[Reason]
    model_version: str
    points: dict[str, int]  # per feature, for the decision's stored inputs


@lru_cache
def card() -> dict:
    return json.loads(ARTEFACT.read_text())


def band_of(score: int) -> str:
    return next(name for floor, name in BANDS if score >= floor)


def debt_to_income(income: Decimal, debts: Decimal) -> Decimal | None:
    return None if income <= 0 else (debts / income).quantize(Decimal("0.0001"))


def _numeric_bin(edges: list[int], x: float) -> str:
    label = f"<{edges[0]}"
    for edge in edges:
        if x >= edge:
            label = f">={edge}"
    return label


def _bins(p: Profile, *, term_months: int | None, new_payment: Decimal) -> dict[str, str | None]:
    """The training data's category (or numeric bin) for each feature; None: not known."""
    f = card()["features"]
    dti = debt_to_income(p.monthly_income, p.monthly_debt_payments + new_payment)
    # the data's instalment rate: 1 below 20 % of disposable income, 2 to 25 %, 3 to 35 %, 4 above
    burden = None
    if dti is not None:
        burden = 1 if dti < Decimal("0.20") else 2 if dti < Decimal("0.25") else 3
        burden = 4 if dti >= Decimal("0.35") else burden
    if p.employment == "unemployed":
        since = "unemployed"
    else:
        y = p.employment_years
        since = (
            "... < 1 year"
            if y < 1
            else "1 <= ... < 4 years"
            if y < 4
            else "4 <= ... < 7 years"
            if y < 7
            else "... >= 7 years"
        )

    def num(name: str, value) -> str | None:
        return None if value is None else _numeric_bin(f[name]["edges"], float(value))

    declared = {
        name: None if getattr(p, name) is None else CATEGORIES[name][getattr(p, name)]
        for name in CATEGORIES
    }
    return {
        **declared,
        "employment_since": since,
        "job": JOB[p.employment],
        "term_months": num("term_months", term_months),
        "payment_burden": num("payment_burden", burden),
        "years_at_address": num("years_at_address", p.years_at_address),
        "existing_credits": num("existing_credits", p.existing_credits),
        "dependants": num("dependants", p.dependants),
    }


def score(
    p: Profile, *, term_months: int | None = None, new_payment: Decimal = Decimal("0")
) -> Score:
    """The score for `p`; with `term_months` and `new_payment` for a loan applied for (the
    term and the payment's weight on income then count), else for the person alone."""
    c = card()
    points, lost = {}, []
    for name, b in _bins(p, term_months=term_months, new_payment=new_payment).items():
        table = c["features"][name]["points"]
        got = table.get(b, 0) if b is not None else 0
        points[name] = got
        best = max(table.values())
        if best - got > 0 and not (name == "term_months" and term_months is None):
            code = name if b is not None else f"{name}_not_declared"
            lost.append(Reason(code, best - got))
    low, high = c["range"]
    total = min(max(c["base_points"] + sum(points.values()), low), high)
    lost.sort(key=lambda r: (-r.points_lost, r.code))
    return Score(total, band_of(total), lost[:4], c["model_version"], points)
