"""Registration, login, throttling of failed logins, the caller's account, timelines."""

import pytest

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


def test_timeline_is_scoped(client, db):
    net = f.network(db)
    buyer = f.token(client, net["users"]["customer"])
    buyer_id = client.get("/api/v1/me", headers=buyer).json()["id"]
    with db.transaction() as s:
        events.emit(
            s,
            "lead.created",
            entity_type="lead",
            entity_id="1",
            customer_id=buyer_id,
            dealer_id=net["dealers"]["SH-1"],
        )
        events.emit(
            s,
            "test_drive.booked",
            entity_type="test_drive",
            entity_id="2",
            customer_id=buyer_id,
            dealer_id=net["dealers"]["SH-1"],
        )
    admin = f.token(client, net["users"]["admin"])
    items = client.get(f"/api/v1/customers/{buyer_id}/timeline", headers=admin).json()["items"]
    assert [e["type"] for e in items] == ["test_drive.booked", "lead.created"]
    assert items[0]["dealer"] == "SH-1"
    staff = f.token(client, net["users"]["staff"])  # SH-1: the customer dealt with them
    assert client.get(f"/api/v1/customers/{buyer_id}/timeline", headers=staff).status_code == 200
    other = f.token(client, net["users"]["other_manager"])
    problem(client.get(f"/api/v1/customers/{buyer_id}/timeline", headers=other), 404, "not_found")
    page = client.get(f"/api/v1/customers/{buyer_id}/timeline?limit=1", headers=buyer).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
