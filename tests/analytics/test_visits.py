"""Catalog views: a signed-in customer's look at a car's page is a fact (by a job after the
page), shown in the timeline and counted as the funnel's "visit"."""

from sqlalchemy import func, select

from motormall.platform.events import DomainEvent
from tests import factories as f
from tests.analytics.test_pages import _log_in

VIEWED = "catalog.vehicle_viewed"


def _views(db) -> int:
    with db.reading() as s:
        return s.scalar(select(func.count()).where(DomainEvent.type == VIEWED))


def test_a_customer_viewing_a_car_page_is_a_visit_in_the_timeline_and_funnel(client, db):
    net = f.network(db)
    vin = f.stock(db, net["dealers"]["SH-1"], net["trims"][0], [1])[0]
    assert client.get(f"/vehicles/{vin}").status_code == 200  # nobody signed in: no fact
    buyer = f.token(client, net["users"]["customer"])
    assert client.get(f"/api/v1/vehicles/{vin}", headers=buyer).status_code == 200  # the API
    assert _views(db) == 0

    _log_in(client, net["users"]["customer"])
    assert client.get(f"/vehicles/{vin}").status_code == 200
    assert client.get(f"/vehicles/{vin}").status_code == 200  # a reload is the same view
    assert _views(db) == 1

    buyer_id = client.get("/api/v1/me", headers=buyer).json()["id"]
    admin = f.token(client, net["users"]["admin"])
    items = client.get(f"/api/v1/customers/{buyer_id}/timeline", headers=admin).json()["items"]
    assert [(e["type"], e["dealer"]) for e in items] == [(VIEWED, "SH-1")]
    assert items[0]["payload"]["vin"] == vin

    funnel = client.get(
        "/api/v1/admin/analytics/funnel", params={"brand": "BMW"}, headers=admin
    ).json()
    assert funnel["counts"] == {"visit": 1, "lead": 0, "test_drive": 0, "order": 0, "handover": 0}
    ford = client.get("/api/v1/admin/analytics/funnel", params={"brand": "FORD"}, headers=admin)
    assert ford.json()["counts"]["visit"] == 0


def test_staff_looking_at_cars_are_not_visits(client, db):
    net = f.network(db)
    vin = f.stock(db, net["dealers"]["SH-1"], net["trims"][0], [1])[0]
    _log_in(client, net["users"]["staff"])
    assert client.get(f"/vehicles/{vin}").status_code == 200
    assert _views(db) == 0
