"""Cases: a dissatisfied answer opens one for the servicing dealer, due in opening hours; the
dealer acts on its own cases only; the sweep escalates overdue ones to the carmaker."""

import datetime as dt

from sqlalchemy import update

from motormall.platform.db import utcnow
from motormall.surveys import cases
from motormall.surveys.models import Case
from tests import factories as f
from tests.catalog.test_api import problem
from tests.surveys.test_surveys_api import GOOD, _serviced


def _unhappy(client, db, **answer):
    net, buyer, item = _serviced(client, db)
    r = client.post(f"/api/v1/surveys/{item['token']}", json={**GOOD, **answer})
    assert r.status_code == 200 and r.json()["case_opened"] is True, r.text
    return net


def test_low_csat_or_nps_opens_a_case_for_the_dealer_only(client, db):
    net = _unhappy(client, db, csat=2, comment="Waited four hours")
    manager = f.token(client, net["users"]["manager"])
    other = f.token(client, net["users"]["other_manager"])
    body = client.get("/api/v1/dealer/cases", headers=manager).json()
    (case,) = body["items"]
    assert body["next_cursor"] is None
    assert case["status"] == "open" and case["dealer"] == "SH-1"
    assert case["comment"] == "Waited four hours" and case["csat"] == 2
    due = dt.datetime.fromisoformat(case["due_at"])
    assert due > utcnow()
    assert client.get("/api/v1/dealer/cases", headers=other).json()["items"] == []
    r = client.post(f"/api/v1/cases/{case['id']}/events", json={"type": "note"}, headers=other)
    problem(r, 404, "not_found")


def test_nps_detractor_opens_a_case_too(client, db):
    _unhappy(client, db, nps=6)


def test_dealer_records_contact_and_resolution(client, db):
    net = _unhappy(client, db, nps=3)
    manager = f.token(client, net["users"]["manager"])
    (case,) = client.get("/api/v1/dealer/cases", headers=manager).json()["items"]
    url = f"/api/v1/cases/{case['id']}/events"
    r = client.post(url, json={"type": "contacted", "note": "Called back"}, headers=manager)
    assert r.json()["status"] == "contacted"
    assert client.post(url, json={"type": "bribe"}, headers=manager).status_code == 422
    r = client.post(url, json={"type": "resolved", "note": "Refunded labour"}, headers=manager)
    body = r.json()
    assert body["status"] == "resolved" and body["resolved_at"]
    assert [e["type"] for e in body["events"]] == ["opened", "contacted", "resolved"]
    problem(client.post(url, json={"type": "note"}, headers=manager), 409, "case_closed")


def test_the_sweep_escalates_overdue_cases_to_the_carmaker(client, db):
    net = _unhappy(client, db, csat=1)
    admin = f.token(client, net["users"]["admin"])
    assert client.get("/api/v1/admin/cases", headers=admin).json()["items"] == []
    with db.transaction() as s:
        assert cases.escalate_overdue(s, now=utcnow()) == 0  # not due yet
        s.execute(update(Case).values(due_at=utcnow() - dt.timedelta(minutes=1)))
    with db.transaction() as s:
        assert cases.escalate_overdue(s, now=utcnow()) == 1
    with db.transaction() as s:
        assert cases.escalate_overdue(s, now=utcnow()) == 0  # once
    (case,) = client.get("/api/v1/admin/cases", headers=admin).json()["items"]
    assert case["status"] == "escalated" and case["escalated_at"]
    manager = f.token(client, net["users"]["manager"])
    r = client.post(
        f"/api/v1/cases/{case['id']}/events", json={"type": "resolved"}, headers=manager
    )
    assert r.json()["status"] == "resolved"
