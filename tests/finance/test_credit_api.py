"""PUT /me/credit-profile and GET /me/credit, and the bureau adapter's shape."""

from __future__ import annotations

import httpx
import pytest

from motormall.finance import ports, scoring
from tests import factories as f
from tests.finance.helpers import GOOD, WEAK, declare


@pytest.fixture
def buyer(client, db):
    net = f.network(db)
    return f.token(client, net["users"]["customer"])


def test_no_profile_is_404_no_credit_profile(client, buyer):
    r = client.get("/api/v1/me/credit", headers=buyer)
    assert r.status_code == 404 and r.json()["code"] == "no_credit_profile"


def test_declared_profile_gives_a_score_band_and_reasons(client, buyer):
    body = declare(client, buyer, WEAK)
    assert 350 <= body["score"] <= 950
    assert set(body) == {"score", "band", "reasons", "model_version", "as_of"}
    assert body["reasons"][0]["code"] == "current_account"
    assert body["reasons"][0]["text"].startswith("Your current account")
    zh = client.get("/api/v1/me/credit", headers={**buyer, "Accept-Language": "zh-CN"}).json()
    assert zh["score"] == body["score"]
    assert zh["reasons"][0]["text"] == "您的往来账户已透支或余额很少"
    better = declare(client, buyer, GOOD)
    assert better["score"] > body["score"]
    assert better["model_version"] == scoring.card()["model_version"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"birth_date": "2015-01-01"}, "age_out_of_range"),
        ({"employment": "astronaut"}, "validation_error"),
        ({"monthly_income": {"amount": "9000.00", "currency": "USD"}}, "currency_not_supported"),
        ({"monthly_income": "-1.00"}, "validation_error"),
        ({"employment_years": 40}, "employment_years_invalid"),
    ],
)
def test_bad_profiles_are_422(client, buyer, change, code):
    r = client.put("/api/v1/me/credit-profile", json={**WEAK, **change}, headers=buyer)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == code


def test_staff_have_no_credit_of_their_own(client, db, buyer):
    admin = f.token(client, "admin@test.dev")
    r = client.get("/api/v1/me/credit", headers=admin)
    assert r.status_code == 403


def _bureau(handler):
    return ports.Bureau("https://bureau.test/score", "k", httpx.Client(transport=handler))


def test_the_bureau_adapter_maps_an_answer_and_clamps_the_scale():
    seen = {}

    def answer(request: httpx.Request):
        seen["auth"] = request.headers["authorization"]
        return httpx.Response(200, json={"score": 990, "reasons": ["r1"], "model_version": "z"})

    result = _bureau(httpx.MockTransport(answer)).score("cust", None)
    assert (result.score, result.band, result.model_version) == (950, "excellent", "z")
    assert [r.code for r in result.reasons] == ["r1"] and seen["auth"] == "Bearer k"


def test_a_failing_bureau_is_a_503_problem_not_a_crash():
    down = httpx.MockTransport(lambda request: httpx.Response(500))
    with pytest.raises(ports.BureauUnavailable) as err:
        _bureau(down).score("cust", None)
    assert err.value.code == "credit_bureau_unavailable"


def test_the_setting_picks_the_provider():
    from motormall.platform.config import Settings

    assert isinstance(ports.provider(Settings()), ports.Scorecard)
    chosen = ports.provider(Settings(credit_provider="bureau", credit_bureau_url="https://b.test"))
    assert isinstance(chosen, ports.Bureau) and chosen.url == "https://b.test"
