"""Joining brands, points from a car handed over and taken back on return, spending points,
tiers set by the carmaker, and the credit standing port."""

import pytest

from motormall.membership import ports
from tests import factories as f
from tests.catalog.test_api import problem
from tests.orders import helpers as h


def _buy(client, db, net, buyer, vin):
    order = h.reserve(client, buyer, vin).json()
    h.pay(client, db, buyer, order["id"], "deposit", "5000.00")
    h.pay(client, db, buyer, order["id"], "balance", "295000.00")
    staff = f.token(client, net["users"]["staff"])
    r = client.post(
        f"/api/v1/orders/{order['id']}/handover", headers=staff, json={"odometer_km": 10}
    )
    assert r.status_code == 200, r.text
    return order


def _mine(client, buyer):
    r = client.get("/api/v1/me/memberships", headers=buyer)
    assert r.status_code == 200, r.text
    return {m["brand"]: m for m in r.json()["items"]}


def test_join_each_brand_once(client, db):
    net, _, buyer = h.setup(db, client, n_cars=0)
    r = client.post("/api/v1/me/memberships", headers=buyer, json={"brand": "bmw"})
    assert r.status_code == 201, r.text
    assert r.json() | {} == {
        "brand": "BMW",
        "tier": "member",
        "points": 0,
        "super_member": False,
        "next_tier": r.json()["next_tier"],
        "points_year": 0,
    }
    assert r.json()["next_tier"]["tier"] == "silver"
    problem(
        client.post("/api/v1/me/memberships", headers=buyer, json={"brand": "BMW"}),
        409,
        "already_exists",
    )
    problem(
        client.post("/api/v1/me/memberships", headers=buyer, json={"brand": "NOPE"}),
        404,
        "brand_not_found",
    )
    assert (
        client.post("/api/v1/me/memberships", headers=buyer, json={"brand": "FORD"}).status_code
        == 201
    )
    assert set(_mine(client, buyer)) == {"BMW", "FORD"}
    staff = f.token(client, net["users"]["staff"])
    problem(client.get("/api/v1/me/memberships", headers=staff), 403, "role_not_allowed")


def test_a_car_handed_over_earns_points_for_its_brand_and_a_return_takes_them_back(client, db):
    net, vins, buyer = h.setup(db, client)
    client.post("/api/v1/me/memberships", headers=buyer, json={"brand": "BMW"})
    client.post("/api/v1/me/memberships", headers=buyer, json={"brand": "FORD"})
    order = _buy(client, db, net, buyer, vins[0])  # a BMW iX3 at 300,000
    mine = _mine(client, buyer)
    assert mine["BMW"]["points"] == 3000 and mine["FORD"]["points"] == 0
    assert mine["BMW"]["tier"] == "gold" and mine["BMW"]["super_member"] is True

    r = client.post(
        "/api/v1/me/memberships/BMW/points/burn",
        headers=buyer,
        json={"points": 3001, "reason": "offer"},
    )
    problem(r, 409, "insufficient_points")
    r = client.post(
        "/api/v1/me/memberships/BMW/points/burn",
        headers=buyer,
        json={"points": 1000, "reason": "wash"},
    )
    assert r.status_code == 200 and r.json()["points"] == 2000, r.text

    r = client.post(f"/api/v1/orders/{order['id']}/return", headers=buyer, json={"odometer_km": 20})
    assert r.status_code == 200, r.text
    mine = _mine(client, buyer)
    # the 2,000 left are taken back; the 1,000 spent cannot be, and nothing goes negative
    assert mine["BMW"]["points"] == 0 and mine["BMW"]["tier"] == "member"
    lines = client.get("/api/v1/me/memberships/BMW/points", headers=buyer).json()["items"]
    assert [(x["kind"], x["points"]) for x in lines] == [
        ("reverse", -2000),
        ("burn", -1000),
        ("earn", 3000),
    ]


def test_no_points_without_membership(client, db):
    net, vins, buyer = h.setup(db, client)
    _buy(client, db, net, buyer, vins[0])
    client.post("/api/v1/me/memberships", headers=buyer, json={"brand": "BMW"})
    assert _mine(client, buyer)["BMW"]["points"] == 0


class _Scores:
    def __init__(self, score):
        self.value = score

    def score(self, session, customer_id):
        return self.value


@pytest.fixture
def credit_score():
    before = ports.credit_standing
    scores = _Scores(None)
    ports.register_credit_standing(scores)
    yield scores
    ports.register_credit_standing(before)


def test_the_carmaker_sets_the_ladder_and_the_top_needs_a_credit_score(client, db, credit_score):
    net, vins, buyer = h.setup(db, client)
    admin = f.token(client, net["users"]["admin"])
    rules = {
        "tiers": [
            {"code": "member"},
            {"code": "gold", "min_points_year": 2000, "min_spend_year": "250000"},
            {
                "code": "platinum",
                "min_points_year": 2000,
                "min_credit_score": 700,
                "super_member": True,
            },
        ],
        "points_per_100": 1,
    }
    r = client.put("/api/v1/admin/memberships/BMW/programme", headers=admin, json=rules)
    assert r.status_code == 200, r.text
    bad = {"tiers": [{"code": "gold"}]}
    problem(
        client.put("/api/v1/admin/memberships/BMW/programme", headers=admin, json=bad),
        422,
        "invalid_programme",
    )
    problem(
        client.put("/api/v1/admin/memberships/BMW/programme", headers=buyer, json=rules),
        403,
        "role_not_allowed",
    )

    client.post("/api/v1/me/memberships", headers=buyer, json={"brand": "BMW"})
    _buy(client, db, net, buyer, vins[0])
    assert _mine(client, buyer)["BMW"]["tier"] == "gold"  # no score yet: platinum out of reach
    assert _mine(client, buyer)["BMW"]["super_member"] is False
    credit_score.value = 720
    bmw = _mine(client, buyer)["BMW"]
    assert bmw["tier"] == "platinum" and bmw["super_member"] is True
    credit_score.value = 600
    assert _mine(client, buyer)["BMW"]["tier"] == "gold"


def test_points_lapse_by_policy(client, db):
    import datetime as dt

    from motormall.membership import service

    net, vins, buyer = h.setup(db, client)
    client.post("/api/v1/me/memberships", headers=buyer, json={"brand": "BMW"})
    _buy(client, db, net, buyer, vins[0])
    with db.transaction() as s:
        assert service.expire_due(s, now=dt.datetime.now(dt.UTC)) == 0
    with db.transaction() as s:
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=731)
        assert service.expire_due(s, now=later) == 3000
    assert _mine(client, buyer)["BMW"]["points"] == 0
