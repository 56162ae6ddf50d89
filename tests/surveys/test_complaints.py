"""A complaint opens a case; closing a case asks the customer whether it was resolved
(through the outbox, straight from the carmaker) and a "no" reopens it."""

from sqlalchemy import select

from motormall.notifications.models import Notification
from motormall.surveys.models import Survey
from tests import factories as f
from tests.catalog.test_api import problem

GOOD = {"csat": 4, "nps": 8, "incentive_offered": False, "comment": ""}


def _complain(client, net, **extra):
    buyer = f.token(client, net["users"]["customer"])
    body = {"dealer": "SH-1", "about": "service", "text": "<b>Oil</b> on my seat", **extra}
    return buyer, client.post("/api/v1/me/complaints", json=body, headers=buyer)


def _case_survey(db):
    with db.reading() as s:
        return s.scalars(
            select(Survey).where(Survey.about == "case").order_by(Survey.created_at)
        ).all()


def test_a_complaint_opens_a_case_for_that_dealer_only(client, db):
    net = f.network(db)
    buyer, r = _complain(client, net)
    assert r.status_code == 201, r.text
    mine = r.json()
    assert mine["status"] == "open" and mine["source"] == "complaint" and mine["dealer"] == "SH-1"
    manager = f.token(client, net["users"]["manager"])
    (case,) = client.get("/api/v1/dealer/cases", headers=manager).json()["items"]
    assert case["id"] == mine["id"] and case["text"] == "<b>Oil</b> on my seat"  # as typed
    assert case["about"] == "service" and case["customer_phone"] is None
    other = f.token(client, net["users"]["other_manager"])
    assert client.get("/api/v1/dealer/cases", headers=other).json()["items"] == []
    problem(client.get(f"/api/v1/cases/{case['id']}", headers=other), 404, "not_found")
    assert [c["id"] for c in client.get("/api/v1/me/cases", headers=buyer).json()["items"]] == [
        mine["id"]
    ]


def test_bad_complaints_are_refused(client, db):
    net = f.network(db)
    problem(_complain(client, net, dealer="NOPE")[1], 404, "dealer_not_found")
    assert _complain(client, net, about="weather")[1].status_code == 422
    assert _complain(client, net, text="")[1].status_code == 422
    staff = f.token(client, net["users"]["staff"])
    body = {"dealer": "SH-1", "about": "service", "text": "x"}
    problem(client.post("/api/v1/me/complaints", json=body, headers=staff), 403, "role_not_allowed")


def test_closing_asks_the_customer_and_no_reopens_the_case(client, db):
    net = f.network(db)
    buyer, r = _complain(client, net)
    case_id = r.json()["id"]
    manager = f.token(client, net["users"]["manager"])
    url = f"/api/v1/cases/{case_id}/events"
    assert (
        client.post(url, json={"type": "resolved", "note": "Cleaned"}, headers=manager).json()[
            "status"
        ]
        == "resolved"
    )
    (survey,) = _case_survey(db)
    with db.reading() as s:
        note = s.scalar(select(Notification).where(Notification.kind == "survey_case"))
    assert note.link == f"/surveys/{survey.token}" and note.customer_id == survey.customer_id
    assert [
        i["about"] for i in client.get("/api/v1/me/surveys", headers=buyer).json()["items"]
    ] == ["case"]
    answer = f"/api/v1/surveys/{survey.token}"
    problem(client.post(answer, json=GOOD), 422, "resolved_required")
    r = client.post(answer, json={**GOOD, "csat": 1, "resolved": False})
    assert r.status_code == 200 and r.json()["case_opened"] is False  # reopened, not a new one
    case = client.get(f"/api/v1/cases/{case_id}", headers=manager).json()
    assert case["status"] == "open" and case["resolved_at"] is None
    assert [e["type"] for e in case["events"]] == ["opened", "resolved", "reopened"]
    assert len(client.get("/api/v1/dealer/cases", headers=manager).json()["items"]) == 1
    # resolved again: asked again, and a yes is recorded without reopening
    client.post(url, json={"type": "resolved", "note": "Seat replaced"}, headers=manager)
    first, second = _case_survey(db)
    assert second.subject_id == f"{case_id}:2"
    assert (
        client.post(f"/api/v1/surveys/{second.token}", json={**GOOD, "resolved": True}).status_code
        == 200
    )
    case = client.get(f"/api/v1/cases/{case_id}", headers=manager).json()
    assert case["status"] == "resolved" and case["events"][-1]["type"] == "confirmed"


def test_the_survey_page_asks_whether_a_case_was_resolved(client, db):
    net = f.network(db)
    _, r = _complain(client, net)
    manager = f.token(client, net["users"]["manager"])
    client.post(
        f"/api/v1/cases/{r.json()['id']}/events", json={"type": "resolved"}, headers=manager
    )
    (survey,) = _case_survey(db)
    page = client.get(f"/surveys/{survey.token}")
    assert page.status_code == 200 and 'name="resolved"' in page.text
    page = client.get(f"/surveys/{survey.token}", headers={"Accept-Language": "zh-CN"})
    assert "您的问题解决了吗？" in page.text
