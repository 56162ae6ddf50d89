"""The scorecard at run time: every declared value maps onto a learnt bin, scores stay on
350–950, and reasons name what cost the most points."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from motormall.finance import messages, scoring


def _profile(**kw) -> scoring.Profile:
    base = dict(
        birth_date=dt.date(1988, 5, 1),
        monthly_income=Decimal("20000.00"),
        monthly_debt_payments=Decimal("2000.00"),
        employment="employed",
        employment_years=8,
        housing="own",
    )
    return scoring.Profile(**{**base, **kw})


def test_every_declared_value_has_points_in_the_card():
    card = scoring.card()["features"]
    for feature, values in scoring.CATEGORIES.items():
        for label in values.values():
            assert label in card[feature]["points"], (feature, label)
    for label in scoring.JOB.values():
        assert label in card["job"]["points"]


def test_a_strong_profile_outscores_a_weak_one_and_both_stay_on_the_scale():
    strong = scoring.score(
        _profile(current_account="none", savings="large", property="real_estate")
    )
    weak = scoring.score(
        _profile(
            current_account="overdrawn",
            savings="little",
            employment_years=0,
            housing="rent",
            monthly_debt_payments=Decimal("9000.00"),
            other_instalment_plans="bank",
            property="none",
        )
    )
    assert 350 <= weak.score < strong.score <= 950
    assert weak.reasons[0].code == "current_account"
    assert "savings" in {r.code for r in weak.reasons} and len(weak.reasons) == 4
    assert strong.band in {"good", "very_good", "excellent"}


def test_undeclared_fields_score_neutral_and_say_so():
    s = scoring.score(_profile())
    assert s.points["current_account"] == 0
    assert any(r.code == "current_account_not_declared" for r in s.reasons)


def test_the_loan_term_and_payment_count_at_application():
    alone = scoring.score(_profile(current_account="healthy"))
    long_loan = scoring.score(
        _profile(current_account="healthy"), term_months=60, new_payment=Decimal("6000.00")
    )
    assert long_loan.score < alone.score
    assert "term_months" in {r.code for r in long_loan.reasons}


def test_reasons_read_in_english_and_chinese():
    assert messages.text("savings", "en") == "Your savings are low"
    zh = messages.text("savings", "zh_Hans")
    assert zh != "Your savings are low" and "储蓄" in zh
    assert "往来账户" in messages.text("current_account_not_declared", "zh_Hans")
    for code in [*messages.REASONS, *messages.DECISIONS]:
        assert messages.text(code, "zh_Hans") != messages.text(code, "en"), code


def test_the_training_script_reproduces_the_shipped_card():
    import json

    from motormall.finance import training

    rows, y = training.dataset()
    assert len(rows) == 1000
    card = json.loads(json.dumps(training.final_card(rows, y)))
    assert card == json.loads(scoring.ARTEFACT.read_text())
    assert not {"personal_status_and_sex", "foreign_worker", "age_in_years"} & {
        f["column"] for f in card["features"].values()
    }
