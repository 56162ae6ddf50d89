"""The carmaker's dashboards over HTTP: the funnel, the league table, new-energy share, bad
filters, and the columnar copy the figures come from."""

import datetime as dt

import pytest
from sqlalchemy import select

from motormall.platform.auth import User
from tests import factories as f
from tests.catalog.test_api import problem

PUDONG = "31.2215,121.5440"  # next to SH-1


@pytest.fixture
def net(db):
    return f.network(db)


@pytest.fixture
def admin(client, net):
    return f.token(client, net["users"]["admin"])


def inquire(client, headers, net, model=0):
    body = {"channel": "web", "model_id": net["models"][model], "near": PUDONG}
    r = client.post("/api/v1/leads", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def second_buyer(client, n=2) -> dict:
    email = f"buyer{n}@test.dev"
    r = client.post(
        "/api/v1/auth/register",
        json={
            "email": email,
            "password": f.PASSWORD,
            "name": f"Buyer {n}",
            "phone": f"1390013900{n}",
            "city": "Shanghai",
        },
    )
    assert r.status_code == 201, r.text
    return f.token(client, email)


def story(client, db, net):
    """Two buyers enquire about the BMW iX3 at SH-1; the dealer contacts and books a test
    drive for the first, who orders an iX3; a third enquires about a Ford."""
    buyer = f.token(client, net["users"]["customer"])
    lead = inquire(client, buyer, net)
    inquire(client, second_buyer(client, 2), net)
    inquire(client, second_buyer(client, 3), net, model=1)
    staff = f.token(client, net["users"]["staff"])
    for kind in ("contacted", "test_drive_booked"):
        r = client.post(f"/api/v1/leads/{lead['id']}/events", json={"type": kind}, headers=staff)
        assert r.status_code == 200, r.text
    vin = f.stock(db, net["dealers"]["SH-1"], net["trims"][0], [7])[0]
    r = client.post("/api/v1/orders", json={"vin": vin}, headers=buyer)
    assert r.status_code == 201, r.text
    return lead


def test_the_funnel_counts_people_per_stage_by_brand(client, db, net, admin):
    story(client, db, net)
    r = client.get("/api/v1/admin/analytics/funnel", params={"brand": "BMW"}, headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["counts"] == {"visit": 2, "lead": 2, "test_drive": 1, "order": 1, "handover": 0}
    assert [s["stage"] for s in body["stages"]] == [
        "visit",
        "lead",
        "test_drive",
        "order",
        "handover",
    ]
    assert body["stages"][2]["from_previous"] == 0.5
    assert body["pending_events"] == 0 and body["as_of"]
    ford = client.get(
        "/api/v1/admin/analytics/funnel", params={"brand": "FORD"}, headers=admin
    ).json()
    assert ford["counts"]["lead"] == 1 and ford["counts"]["order"] == 0
    everyone = client.get("/api/v1/admin/analytics/funnel", headers=admin).json()
    assert everyone["counts"]["lead"] == 3


def test_a_period_before_the_events_counts_nothing(client, db, net, admin):
    story(client, db, net)
    r = client.get(
        "/api/v1/admin/analytics/funnel",
        params={"from": "2020-01-01T00:00:00+00:00", "to": "2020-04-01T00:00:00+00:00"},
        headers=admin,
    )
    assert r.status_code == 200 and set(r.json()["counts"].values()) == {0}


def test_bad_filters_are_refused_with_a_code(client, net, admin):
    url = "/api/v1/admin/analytics/funnel"
    problem(
        client.get(
            url,
            params={"from": "2025-06-01T00:00:00Z", "to": "2025-01-01T00:00:00Z"},
            headers=admin,
        ),
        422,
        "period_reversed",
    )
    r = client.get(
        url, params={"from": "2020-01-01T00:00:00Z", "to": "2025-01-01T00:00:00Z"}, headers=admin
    )
    problem(r, 422, "period_too_long")
    assert r.json()["max_days"] == 731
    problem(client.get(url, params={"brand": "TRABANT"}, headers=admin), 422, "unknown_brand")
    problem(
        client.get("/api/v1/admin/analytics/dealers", params={"city": "Atlantis"}, headers=admin),
        422,
        "unknown_city",
    )
    problem(client.get(url, params={"from": "yesterday"}, headers=admin), 422, "validation_error")


def test_only_the_carmaker_reads_the_dashboards(client, net):
    for who in ("manager", "customer"):
        headers = f.token(client, net["users"][who])
        for path in ("funnel", "dealers", "new-energy"):
            r = client.get(f"/api/v1/admin/analytics/{path}", headers=headers)
            assert r.status_code == 403, (who, path)
    assert client.get("/api/v1/admin/analytics/funnel").status_code == 401


def test_the_league_table_ranks_dealers_by_conversion(client, db, net, admin):
    story(client, db, net)
    r = client.get("/api/v1/admin/analytics/dealers", headers=admin)
    assert r.status_code == 200, r.text
    rows = {d["dealer"]: d for d in r.json()["items"]}
    assert set(rows) == {"SH-1", "SH-2", "NJ-1"}
    sh1 = rows["SH-1"]
    assert sh1["rank"] == 1 and sh1["leads"] == 3 and sh1["orders"] == 1
    assert sh1["conversion"] == round(1 / 3, 4) and sh1["test_drives"] == 1
    assert sh1["response_minutes"] is not None and sh1["response_minutes"] >= 0
    assert rows["NJ-1"]["leads"] == 0 and rows["NJ-1"]["conversion"] is None
    assert sh1["csat"] is None and sh1["flags"] == []
    shanghai = client.get(
        "/api/v1/admin/analytics/dealers", params={"city": "Nanjing"}, headers=admin
    ).json()
    assert [d["dealer"] for d in shanghai["items"]] == ["NJ-1"]


def test_new_energy_share_of_orders_by_month(client, db, net, admin):
    buyer = f.token(client, net["users"]["customer"])
    bev = f.stock(db, net["dealers"]["SH-1"], net["trims"][0], [11])[0]  # iX3: bev
    ice = f.stock(db, net["dealers"]["SH-1"], net["trims"][1], [12])[0]  # Mondeo: ice
    for vin in (bev, ice):
        assert client.post("/api/v1/orders", json={"vin": vin}, headers=buyer).status_code == 201
    body = client.get("/api/v1/admin/analytics/new-energy", headers=admin).json()
    month = dt.datetime.now(dt.UTC).strftime("%Y-%m")
    assert body["months"] == [{"month": month, "orders": 2, "new_energy": 1, "share": 0.5}]
    assert body["share"] == 0.5
    bmw = client.get(
        "/api/v1/admin/analytics/new-energy", params={"brand": "BMW"}, headers=admin
    ).json()
    assert bmw["share"] == 1.0


def test_the_ends_of_the_calendar_are_refused_not_a_500(client, net, admin):
    url = "/api/v1/admin/analytics/funnel"
    r = client.get(url, params={"to": "0001-01-02T00:00:00Z"}, headers=admin)
    problem(r, 422, "period_out_of_range")
    r = client.get(
        url, params={"from": "9999-12-30T00:00:00Z", "to": "9999-12-31T23:00:00Z"}, headers=admin
    )
    assert r.status_code == 200


def test_a_merged_account_counts_once_and_again_after_undo(client, db, net, admin):
    story(client, db, net)  # buyer and buyer2 each enquired about the BMW
    with db.reading() as s:
        ids = {email: id_ for email, id_ in s.execute(select(User.email, User.id))}

    def bmw():
        r = client.get("/api/v1/admin/analytics/funnel", params={"brand": "BMW"}, headers=admin)
        return r.json()["counts"]

    assert (bmw()["visit"], bmw()["lead"]) == (2, 2)
    r = client.post(
        f"/api/v1/admin/customers/{ids['buyer2@test.dev']}/merge",
        headers=admin,
        json={"into": ids[net["users"]["customer"]], "note": "same person"},
    )
    assert r.status_code == 201, r.text
    assert bmw() == {"visit": 1, "lead": 1, "test_drive": 1, "order": 1, "handover": 0}
    undo = client.post(f"/api/v1/admin/customers/merges/{r.json()['id']}/undo", headers=admin)
    assert undo.status_code == 200, undo.text
    assert (bmw()["visit"], bmw()["lead"]) == (2, 2)
