"""Recall campaigns by VIN range or list: the owners known from handovers and service visits
are told once through the outbox, book a recall visit, and completing it closes the recall."""

from sqlalchemy import select

from motormall.aftersales import recalls
from motormall.notifications.models import Notification
from motormall.platform.db import utcnow
from tests import factories as f
from tests.aftersales.helpers import at, book
from tests.catalog.test_api import problem
from tests.membership.test_memberships_api import _buy
from tests.orders import helpers as oh


def _notices(db):
    with db.reading() as s:
        return s.scalars(
            select(Notification)
            .where(Notification.kind == "recall_notice")
            .order_by(Notification.id)
        ).all()


def test_a_recall_by_range_tells_owners_once_and_a_recall_visit_closes_it(client, db):
    net, vins, buyer = oh.setup(db, client, n_cars=3)
    _buy(client, db, net, buyer, vins[0])  # serial 1, sold here: a BMW iX3
    book(client, buyer, start=at(10), serial=5)  # serial 5: serviced here, never sold here
    book(client, buyer, start=at(11), serial=40)  # outside the range
    admin = f.token(client, net["users"]["admin"])
    body = {
        "brand": "BMW",
        "model": "iX3",
        "vin_from": f.vin(1),
        "vin_to": f.vin(20),
        "title": "Brake hose may chafe",
        "description": "Replace the front brake hoses.",
    }
    r = client.post("/api/v1/admin/recalls", json=body, headers=admin)
    assert r.status_code == 201, r.text
    recall = r.json()
    # the job ran after commit: two owners' cars told (serial 2 and 3 have no owner)
    told = {n.params["vin"]: n.link for n in _notices(db)}
    assert told == {v: f"/me/service?vin={v}&kind=recall" for v in (f.vin(1), f.vin(5))}
    mine = client.get("/api/v1/me/recalls", headers=buyer).json()["items"]
    assert sorted(m["vin"] for m in mine) == sorted([f.vin(1), f.vin(5)])
    with db.transaction() as s:  # the job again: nobody is told twice
        assert recalls.notify_owners(s, recall["id"], now=utcnow()) == 0
    assert len(_notices(db)) == 2

    visit = book(client, buyer, start=at(14), kind="recall", serial=1).json()
    staff = f.token(client, net["users"]["staff"])
    done = {"odometer_km": 900, "work": "Brake hoses replaced", "parts": []}
    r = client.post(
        f"/api/v1/service-appointments/{visit['id']}/complete", json=done, headers=staff
    )
    assert r.status_code == 200
    assert [m["vin"] for m in client.get("/api/v1/me/recalls", headers=buyer).json()["items"]] == [
        f.vin(5)
    ]
    got = client.get(f"/api/v1/admin/recalls/{recall['id']}", headers=admin).json()
    assert got["owners_notified"] == 2 and got["repaired"] == 1


def test_a_recall_by_list_skips_cars_of_another_model(client, db):
    net, vins, buyer = oh.setup(db, client, n_cars=1)
    _buy(client, db, net, buyer, vins[0])  # a BMW iX3
    book(client, buyer, start=at(10), serial=7)
    admin = f.token(client, net["users"]["admin"])
    body = {
        "brand": "FORD",
        "vins": [vins[0], f.vin(7)],
        "title": "Airbag inflator",
        "description": "Replace the inflator.",
    }
    assert client.post("/api/v1/admin/recalls", json=body, headers=admin).status_code == 201
    # the catalogue knows vins[0] is a BMW: only the car we know by VIN alone is told
    assert [n.params["vin"] for n in _notices(db)] == [f.vin(7)]


def test_bad_recalls_are_refused(client, db):
    net = f.network(db)
    admin = f.token(client, net["users"]["admin"])
    base = {"brand": "BMW", "title": "T", "description": "D"}
    cases = [
        ({}, 422, "recall_cars_invalid"),
        ({"vin_from": f.vin(1)}, 422, "recall_cars_invalid"),
        (
            {"vin_from": f.vin(1), "vin_to": f.vin(2), "vins": [f.vin(3)]},
            422,
            "recall_cars_invalid",
        ),
        ({"vin_from": f.vin(9), "vin_to": f.vin(2)}, 422, "recall_cars_invalid"),
        ({"vin_from": f.vin(1), "vin_to": f.vin(2, wmi="LFV")}, 422, "recall_cars_invalid"),
        ({"vin_from": "NOTAVIN", "vin_to": f.vin(2)}, 422, "invalid_vin"),
        ({"vins": [f.vin(1)], "model": "Nope"}, 404, "model_not_found"),
        ({"vins": [f.vin(1)], "brand": "NOPE"}, 404, "brand_not_found"),
    ]
    for extra, status, code in cases:
        problem(
            client.post("/api/v1/admin/recalls", json={**base, **extra}, headers=admin),
            status,
            code,
        )
    buyer = f.token(client, net["users"]["customer"])
    body = {**base, "vins": [f.vin(1)]}
    problem(client.post("/api/v1/admin/recalls", json=body, headers=buyer), 403, "role_not_allowed")
