"""Reasons in words a person understands (the kind an adverse-action notice gives), as msgids
of the translation catalogue, so they read in English or Chinese."""

from __future__ import annotations

from motormall.web import i18n
from motormall.web.i18n import N_

# what costs points, per feature of the scorecard
REASONS = {
    "current_account": N_("Your current account is overdrawn or holds little money"),
    "credit_history": N_("Your record of repaying earlier credit"),
    "savings": N_("Your savings are low"),
    "employment_since": N_("You have been in your present work for a short time"),
    "guarantor": N_("No one guarantees the loan with you"),
    "property": N_("You own no property that secures credit"),
    "other_instalment_plans": N_("You are paying other instalment plans"),
    "housing": N_("Your housing: renting or living with family scores lower than owning"),
    "job": N_("Your kind of work"),
    "term_months": N_("The loan term is long"),
    "payment_burden": N_("Your debt payments are high compared with your income"),
    "years_at_address": N_("You have lived at your address for a short time"),
    "existing_credits": N_("You already have several credits"),
    "dependants": N_("The number of people you support"),
}
# a feature the applicant did not declare: its points are neutral, but declaring it may help
NOT_DECLARED = N_("You have not told us about: %(what)s. Declaring it may raise your score.")
WHAT = {
    "current_account": N_("your current account"),
    "credit_history": N_("your credit history"),
    "savings": N_("your savings"),
    "guarantor": N_("a guarantor"),
    "property": N_("your property"),
    "other_instalment_plans": N_("other instalment plans"),
    "years_at_address": N_("years at your address"),
    "existing_credits": N_("your existing credits"),
    "dependants": N_("people you support"),
}
# underwriting decisions
DECISIONS = {
    "score_below_minimum": N_("Your credit score is below the minimum for this product"),
    "score_near_minimum": N_("Your credit score is close to the minimum: a person will review"),
    "debt_to_income_too_high": N_(
        "Your debt payments, with this one, would take too much of your income"
    ),
    "debt_to_income_near_limit": N_(
        "Your debt payments, with this one, are close to the limit: a person will review"
    ),
    "no_income": N_("You declared no income"),
    "approved_by_reviewer": N_("Approved by a credit officer"),
    "declined_by_reviewer": N_("Declined by a credit officer"),
}


def text(code: str, lang: str) -> str:
    """The words for a reason code in `lang` ("en" or "zh_Hans")."""
    gettext = i18n.translations(lang).gettext
    if code.endswith("_not_declared"):
        feature = code.removesuffix("_not_declared")
        return gettext(NOT_DECLARED) % {"what": gettext(WHAT.get(feature, feature))}
    message = REASONS.get(code) or DECISIONS.get(code)
    return gettext(message) if message else code
