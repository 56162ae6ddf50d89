"""The credit policy (versioned) and finance applications: approve, decline, refer; a person
settles the referred; every decision keeps its inputs, policy version and model version."""

from __future__ import annotations

from sqlalchemy import select

from motormall.finance.models import FinanceApplication
from motormall.platform.audit import AuditEntry
from tests import factories as f
from tests.finance.helpers import GOOD, WEAK, apply, declare, financed_order

POLICY = "/api/v1/admin/credit/policy"


def _order_status(client, headers, order_id):
    return client.get(f"/api/v1/orders/{order_id}", headers=headers).json()["status"]


def test_policy_defaults_then_a_partial_put_makes_a_new_version(client, db):
    net = f.network(db)
    admin = f.token(client, net["users"]["admin"])
    first = client.get(POLICY, headers=admin).json()
    assert first["version"] == 0 and first["max_term_months"] == 60
    assert set(first) >= {
        "min_score_hire_purchase",
        "min_score_lease",
        "min_score_tower",
        "max_debt_to_income",
        "min_down_payment_pct",
        "max_term_months",
    }
    r = client.put(
        POLICY, json={"min_score_lease": 640, "min_down_payment_pct": {"bev": 10}}, headers=admin
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["version"] == 1 and body["min_score_lease"] == 640
    assert (
        body["min_down_payment_pct"]["bev"] == "10" and body["min_down_payment_pct"]["ice"] == "20"
    )
    assert body["min_score_hire_purchase"] == first["min_score_hire_purchase"]
    assert client.get(POLICY, headers=admin).json()["version"] == 1
    buyer = f.token(client, net["users"]["customer"])
    assert client.get(POLICY, headers=buyer).status_code == 403
    bad = client.put(POLICY, json={"max_debt_to_income": 3}, headers=admin)
    assert bad.status_code == 422
    unknown = client.put(POLICY, json={"min_score_cash": 1}, headers=admin)
    assert unknown.status_code == 422


def test_a_strong_buyer_is_approved_and_the_order_moves_to_financing(client, db):
    net, buyer, order, admin = financed_order(client, db)
    declare(client, buyer, GOOD)
    r = apply(client, buyer, order["id"])
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["decision"] == "approved" and body["reasons"] == []
    assert _order_status(client, buyer, order["id"]) == "financing"
    with db.reading() as s:
        app = s.scalar(select(FinanceApplication))
        assert app.policy_version == 0 and app.model_version.startswith("scorecard-")
        assert app.inputs["profile"]["housing"] == "own"
        assert app.inputs["term_months"] == 36 and app.inputs["points"]
        audit = s.scalar(select(AuditEntry).where(AuditEntry.entity_id == app.id))
        assert audit.action == "finance.application.approved"
    again = apply(client, buyer, order["id"])
    assert again.status_code == 409 and again.json()["code"] == "application_decided"


def test_a_weak_buyer_is_declined_with_reasons_and_the_order_stays(client, db):
    net, buyer, order, admin = financed_order(client, db)
    declare(client, buyer, WEAK)
    r = apply(client, {**buyer, "Accept-Language": "zh-CN"}, order["id"])
    body = r.json()
    assert body["decision"] == "declined"
    codes = [x["code"] for x in body["reasons"]]
    assert "debt_to_income_too_high" in codes and "current_account" in codes
    assert body["reasons"][0]["text"] != body["reasons"][0]["code"]
    assert _order_status(client, buyer, order["id"]) == "deposit_paid"


def test_referred_goes_to_the_queue_and_a_person_decides_with_a_note(client, db):
    net, buyer, order, admin = financed_order(client, db)
    score = declare(client, buyer, GOOD)["score"]
    changes = {"min_score_hire_purchase": min(score + 60, 950), "refer_score_margin": 200}
    assert client.put(POLICY, json=changes, headers=admin).status_code == 200
    body = apply(client, buyer, order["id"]).json()
    assert body["decision"] == "referred" and body["outcome"] == "pending"
    assert body["policy_version"] == 1
    assert _order_status(client, buyer, order["id"]) == "financing"
    again = apply(client, buyer, order["id"])
    assert again.status_code == 409 and again.json()["code"] == "application_pending"
    queue = client.get("/api/v1/admin/finance/applications", headers=admin).json()["items"]
    assert [a["id"] for a in queue] == [body["id"]]
    url = f"/api/v1/admin/finance/applications/{body['id']}/review"
    assert (
        client.post(url, json={"decision": "declined", "note": " "}, headers=admin).status_code
        == 422
    )
    r = client.post(
        url, json={"decision": "declined", "note": "Income not verified"}, headers=admin
    )
    assert r.status_code == 200, r.text
    assert r.json()["outcome"] == "declined" and r.json()["review_note"] == "Income not verified"
    assert _order_status(client, buyer, order["id"]) == "deposit_paid"
    twice = client.post(url, json={"decision": "approved", "note": "oops"}, headers=admin)
    assert twice.status_code == 409
    assert client.get("/api/v1/admin/finance/applications", headers=admin).json()["items"] == []
    assert (
        client.post(url, json={"decision": "approved", "note": "x"}, headers=buyer).status_code
        == 403
    )


def test_bad_applications_are_refused(client, db):
    net, buyer, order, admin = financed_order(client, db)
    r = apply(client, buyer, order["id"])
    assert r.status_code == 404 and r.json()["code"] == "no_credit_profile"
    declare(client, buyer, GOOD)
    other = client.post(
        "/api/v1/auth/register",
        json={
            "email": "x@test.dev",
            "password": "long-enough-2",
            "name": "X",
            "phone": "13900139001",
            "city": "Shanghai",
        },
    )
    assert other.status_code == 201
    stranger = f.token(client, "x@test.dev", "long-enough-2")
    assert apply(client, stranger, order["id"]).status_code == 404
    assert apply(client, admin, order["id"]).status_code == 403


def test_an_unpaid_reservation_or_a_cash_order_cannot_apply(client, db):
    from tests.orders import helpers as oh

    net, vins, buyer = oh.setup(db, client)
    declare(client, buyer, GOOD)
    unpaid = oh.reserve(
        client, buyer, vins[0], product="lease", term_months=36, down_payment="90000.00"
    ).json()
    r = apply(client, buyer, unpaid["id"])
    assert r.status_code == 409 and r.json()["code"] == "deposit_required"
    cash = oh.reserve(client, buyer, vins[1]).json()
    r = apply(client, buyer, cash["id"])
    assert r.status_code == 409 and r.json()["code"] == "not_financed"


def test_an_order_whose_term_breaks_the_policy_is_a_422(client, db):
    net, buyer, order, admin = financed_order(client, db, term=72)
    declare(client, buyer, GOOD)
    r = apply(client, buyer, order["id"])
    assert r.status_code == 422 and r.json()["code"] == "invalid_term"


def test_the_oem_console_queue_page_decides_a_referred_application(client, db):
    net, buyer, order, admin = financed_order(client, db)
    score = declare(client, buyer, GOOD)["score"]
    changes = {"min_score_hire_purchase": min(score + 60, 950), "refer_score_margin": 200}
    client.put(POLICY, json=changes, headers=admin)
    app_id = apply(client, buyer, order["id"]).json()["id"]
    page = client.get("/oem/credit/applications?lang=zh_Hans", headers=admin)
    assert page.status_code == 200
    assert "等待信贷专员审核" in page.text and order["id"] in page.text
    assert "您的信用评分接近最低要求" in page.text
    import re

    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post(
        f"/oem/credit/applications/{app_id}/review",
        data={"decision": "approved", "note": "Salary slips seen", "csrf_token": csrf},
        headers=admin,
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    body = client.get(f"/api/v1/orders/{order['id']}/finance-application", headers=buyer).json()
    assert body["outcome"] == "approved" and body["review_note"] == "Salary slips seen"
    assert _order_status(client, buyer, order["id"]) == "financing"
