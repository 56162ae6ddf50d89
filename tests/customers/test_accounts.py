"""Registration, login, throttling of failed logins, the caller's account, timelines."""

import pytest

from motormall.customers.events import CustomerRegistered
from motormall.leads.events import LeadAssigned
from motormall.orders.events import OrderReserved
from motormall.platform import events
from tests import factories as f
from tests.catalog.test_api import problem

NEW = {
    "email": "Chen.Jie@Example.com",
    "password": "long-enough-1",
    "name": "Chen Jie",
    "phone": "138 0013 8000",
    "city": "Shanghai",
}


def test_register_then_login_then_me(client, db):
    r = client.post("/api/v1/auth/register", json=NEW)
    assert r.status_code == 201 and len(r.json()["id"]) == 32
    problem(client.post("/api/v1/auth/register", json=NEW), 409, "already_exists")
    token = f.token(client, "chen.jie@example.com", NEW["password"])
    me = client.get("/api/v1/me", headers=token).json()
    assert me == {
        "id": r.json()["id"],
        "email": "chen.jie@example.com",
        "name": "Chen Jie",
        "role": "customer",
        "dealer": None,
        "tower": None,
        "phone": "+8613800138000",
        "city": "Shanghai",
        "locale": "en",
    }


@pytest.mark.parametrize(
    "change",
    [
        {"email": "not-an-email"},
        {"password": "short"},
        {"phone": "12345"},
        {"name": ""},
        {"role": "oem_admin"},
    ],
)
def test_bad_registrations(client, db, change):
    problem(client.post("/api/v1/auth/register", json={**NEW, **change}), 422, "validation_error")


def test_staff_see_their_dealer_on_me(client, db):
    net = f.network(db)
    me = client.get("/api/v1/me", headers=f.token(client, net["users"]["manager"])).json()
    assert me["role"] == "dealer_manager" and me["dealer"] == "SH-1"


def test_failed_logins_are_throttled_per_account(client, db, settings):
    f.network(db)
    for _ in range(settings.login_failures_allowed):
        problem(
            client.post(
                "/api/v1/auth/token", json={"email": "buyer@test.dev", "password": "wrong-password"}
            ),
            401,
            "invalid_credentials",
        )
    r = client.post("/api/v1/auth/token", json={"email": "buyer@test.dev", "password": f.PASSWORD})
    problem(r, 429, "too_many_failed_logins")
    assert int(r.headers["retry-after"]) > 0


def test_successful_logins_from_one_address_are_never_limited(client, db, settings):
    f.network(db)
    for _ in range(settings.login_failures_allowed + 3):
        f.token(client, "buyer@test.dev")


def test_unknown_email_and_wrong_password_look_the_same(client, db):
    f.network(db)
    a = client.post("/api/v1/auth/token", json={"email": "nobody@test.dev", "password": "x"})
    b = client.post("/api/v1/auth/token", json={"email": "buyer@test.dev", "password": "x"})
    assert a.status_code == b.status_code == 401
    assert a.json()["detail"] == b.json()["detail"]


def _dealings(db, buyer_id, net):
    """A lead at SH-1, then an order at the competitor SH-2 (delivered by SH-2)."""
    sh1, sh2 = net["dealers"]["SH-1"], net["dealers"]["SH-2"]
    with db.transaction() as s:
        events.publish(
            s,
            LeadAssigned(
                entity_id="1",
                customer_id=buyer_id,
                dealer_ids=(sh1,),
                dealer="SH-1",
                reason="routed",
            ),
        )
        events.publish(
            s,
            OrderReserved(
                entity_id="o1",
                customer_id=buyer_id,
                dealer_ids=(sh2,),
                vehicle_id=1,
                vin="WBA00000000000001",
                detail={"price": "300000.00"},
            ),
        )


def _types(client, buyer_id, headers):
    r = client.get(f"/api/v1/customers/{buyer_id}/timeline", headers=headers)
    return [e["type"] for e in r.json()["items"]] if r.status_code == 200 else r.status_code


def test_timeline_shows_each_dealer_only_its_own_dealings(client, db):
    net = f.network(db)
    buyer = f.token(client, net["users"]["customer"])
    buyer_id = client.get("/api/v1/me", headers=buyer).json()["id"]
    _dealings(db, buyer_id, net)
    admin = f.token(client, net["users"]["admin"])
    assert _types(client, buyer_id, admin) == ["order.reserved", "lead.assigned"]
    items = client.get(f"/api/v1/customers/{buyer_id}/timeline", headers=admin).json()["items"]
    assert [e["dealer"] for e in items] == ["SH-2", "SH-1"]
    assert _types(client, buyer_id, buyer) == ["order.reserved", "lead.assigned"]
    # SH-1 worked the lead: it sees the lead, never the competitor's order (VIN, price)
    staff = f.token(client, net["users"]["staff"])
    assert _types(client, buyer_id, staff) == ["lead.assigned"]
    other = f.token(client, net["users"]["other_manager"])
    assert _types(client, buyer_id, other) == ["order.reserved"]
    page = client.get(f"/api/v1/customers/{buyer_id}/timeline?limit=1", headers=buyer).json()
    assert len(page["items"]) == 1 and page["next_cursor"]


def test_a_dealer_the_customer_never_dealt_with_gets_404(client, db):
    net = f.network(db)
    buyer = f.token(client, net["users"]["customer"])
    buyer_id = client.get("/api/v1/me", headers=buyer).json()["id"]
    other = f.token(client, net["users"]["other_manager"])  # SH-2
    problem(client.get(f"/api/v1/customers/{buyer_id}/timeline", headers=other), 404, "not_found")
    with db.transaction() as s:  # an event that merely names SH-2 is no dealing with it
        events.publish(
            s, CustomerRegistered(entity_id=buyer_id, customer_id=buyer_id, city="Shanghai")
        )
    problem(client.get(f"/api/v1/customers/{buyer_id}/timeline", headers=other), 404, "not_found")


def test_a_handler_that_fails_rolls_the_whole_transaction_back(db):
    from sqlalchemy import func, select

    from motormall.platform.events import DomainEvent

    seen = []

    @events.handles(CustomerRegistered)
    def broken(session, event):
        seen.append(event.entity_id)
        raise RuntimeError("handler failed")

    try:
        with pytest.raises(RuntimeError), db.transaction() as s:
            events.publish(s, CustomerRegistered(entity_id="x", customer_id=None))
    finally:
        events._handlers[CustomerRegistered].remove(broken)
    assert seen == ["x"]
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(DomainEvent)) == 0
