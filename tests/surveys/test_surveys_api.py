"""Surveys straight from the carmaker: one after a handover and one after a service visit,
sent through the outbox and listed in /me/surveys; one answer per token; expired refused."""

import datetime as dt

from sqlalchemy import select, update

from motormall.notifications.models import Notification
from motormall.surveys.models import Case, Survey
from tests import factories as f
from tests.aftersales.helpers import at, book
from tests.catalog.test_api import problem
from tests.membership.test_memberships_api import _buy
from tests.orders import helpers as h

GOOD = {"csat": 5, "nps": 10, "incentive_offered": False, "comment": "Great"}


def _serviced(client, db):
    """A customer whose car was serviced at SH-1: returns (net, customer headers, token)."""
    net = f.network(db)
    buyer = f.token(client, net["users"]["customer"])
    appt = book(client, buyer, start=at(10)).json()
    staff = f.token(client, net["users"]["staff"])
    done = {"odometer_km": 100, "work": "Inspection", "parts": []}
    r = client.post(f"/api/v1/service-appointments/{appt['id']}/complete", json=done, headers=staff)
    assert r.status_code == 200, r.text
    (item,) = client.get("/api/v1/me/surveys", headers=buyer).json()["items"]
    return net, buyer, item


def test_a_service_visit_sends_one_survey_by_link_and_lists_it(client, db):
    net, buyer, item = _serviced(client, db)
    assert item["about"] == "service" and len(item["token"]) >= 32
    with db.reading() as s:
        note = s.scalar(select(Notification).where(Notification.kind == "survey_service"))
    assert note.link == f"/surveys/{item['token']}"
    r = client.get(f"/api/v1/surveys/{item['token']}")  # no login: the token is the key
    assert r.status_code == 200 and r.json()["dealer"] == "SH-1" and r.json()["answered"] is False
    other = f.token(client, net["users"]["staff"])
    problem(client.get("/api/v1/me/surveys", headers=other), 403, "role_not_allowed")


def test_a_handover_sends_a_survey_too(client, db):
    net, vins, buyer = h.setup(db, client)
    _buy(client, db, net, buyer, vins[0])
    (item,) = client.get("/api/v1/me/surveys", headers=buyer).json()["items"]
    assert item["about"] == "handover"


def test_one_answer_per_token_and_ranges_checked(client, db):
    _, buyer, item = _serviced(client, db)
    url = f"/api/v1/surveys/{item['token']}"
    for bad in ({**GOOD, "csat": 0}, {**GOOD, "csat": 6}, {**GOOD, "nps": 11}, {**GOOD, "nps": -1}):
        assert client.post(url, json=bad).status_code == 422
    r = client.post(url, json=GOOD)
    assert r.status_code == 200 and r.json()["case_opened"] is False
    problem(client.post(url, json=GOOD), 409, "already_answered")
    assert client.get("/api/v1/me/surveys", headers=buyer).json()["items"] == []
    problem(client.get("/api/v1/surveys/not-a-token"), 404, "survey_not_found")


def test_an_expired_survey_is_refused(client, db):
    _, buyer, item = _serviced(client, db)
    with db.transaction() as s:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        s.execute(update(Survey).values(expires_at=past))
    problem(client.post(f"/api/v1/surveys/{item['token']}", json=GOOD), 409, "survey_expired")
    assert client.get("/api/v1/me/surveys", headers=buyer).json()["items"] == []


def test_a_comment_with_markup_is_stored_as_typed(client, db):
    _, _, item = _serviced(client, db)
    comment = "<script>alert(1)</script> 还行"
    client.post(f"/api/v1/surveys/{item['token']}", json={**GOOD, "comment": comment})
    with db.reading() as s:
        assert s.scalar(select(Survey.comment)) == comment
        assert s.scalar(select(Case.id)) is None  # a happy answer opens no case
