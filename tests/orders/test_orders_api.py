"""The order lifecycle over HTTP: reserve, pay, hand over, return, cancel, expire."""

import datetime as dt

from sqlalchemy import update

from motormall.orders.models import Order
from tests import factories as f
from tests.catalog.test_api import problem
from tests.orders import helpers as h


def test_reserve_holds_the_car_for_one_buyer(client, db):
    net, vins, buyer = h.setup(db, client)
    r = h.reserve(client, buyer, vins[0])
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["status"] == "reserved" and order["id"] and order["expires_at"]
    assert order["price"] == {"amount": "300000.00", "currency": "CNY"}
    assert order["deposit"]["amount"] == "5000.00" and order["delivery"]["code"] == "SH-1"
    expires = dt.datetime.fromisoformat(order["expires_at"])
    assert dt.timedelta(minutes=14) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(minutes=15)
    # the car leaves public search, and a second buyer cannot have it
    listed = [v["vin"] for v in client.get("/api/v1/vehicles?limit=100").json()["items"]]
    assert vins[0] not in listed
    other = h.second_buyer(client)
    problem(h.reserve(client, other, vins[0]), 409, "vehicle_unavailable")


def test_idempotency_key_returns_the_same_order(client, db):
    net, vins, buyer = h.setup(db, client)
    a = h.reserve(client, buyer, vins[0], key="k-1")
    b = h.reserve(client, buyer, vins[0], key="k-1")
    assert a.status_code == b.status_code == 201 and a.json()["id"] == b.json()["id"]
    assert b.headers.get("idempotent-replayed") == "true"
    problem(h.reserve(client, buyer, vins[1], key="k-1"), 422, "idempotency_key_reused")


def test_bad_orders(client, db):
    net, vins, buyer = h.setup(db, client)
    problem(h.reserve(client, buyer, f.vin(999)), 404, "vehicle_not_found")
    problem(h.reserve(client, buyer, "NOTAVIN"), 422, "invalid_vin")
    problem(h.reserve(client, buyer, vins[0], product="barter"), 422, "validation_error")
    problem(h.reserve(client, buyer, vins[0], delivery_dealer="NOPE"), 422, "unknown_dealer")
    problem(h.reserve(client, buyer, vins[0], coupon="FREE"), 409, "coupon_unavailable")
    problem(h.reserve(client, buyer, vins[0], product="hire_purchase"), 422, "invalid_term")
    staff = f.token(client, net["users"]["staff"])
    problem(h.reserve(client, staff, vins[0]), 403, "role_not_allowed")
    # nothing of the above held the car
    assert h.reserve(client, buyer, vins[0]).status_code == 201


def test_cash_purchase_from_deposit_to_handover(client, db):
    net, vins, buyer = h.setup(db, client)
    order = h.reserve(client, buyer, vins[0], key="buy-1").json()
    h.pay(client, db, buyer, order["id"], "deposit", "5000.00")
    got = client.get(f"/api/v1/orders/{order['id']}", headers=buyer).json()
    assert got["status"] == "deposit_paid" and got["expires_at"] is None
    assert got["paid"]["amount"] == "5000.00" and got["balance_due"]["amount"] == "295000.00"
    h.pay(client, db, buyer, order["id"], "balance", "295000.00")
    assert client.get(f"/api/v1/orders/{order['id']}", headers=buyer).json()["status"] == "paid"

    problem(
        client.post(f"/api/v1/orders/{order['id']}/handover", headers=buyer),
        403,
        "role_not_allowed",
    )
    staff = f.token(client, net["users"]["staff"])
    r = client.post(
        f"/api/v1/orders/{order['id']}/handover", headers=staff, json={"odometer_km": 12}
    )
    assert r.status_code == 200 and r.json()["status"] == "handed_over", r.text
    assert client.get(f"/api/v1/vehicles/{vins[0]}").json()["status"] == "sold"

    balanced, accounts = h.ledger(client, db, net)
    assert balanced
    assert accounts["carmaker_revenue"] == "-300000.00"  # credit balance
    assert accounts["provider_clearing:sandbox"] == "300000.00"
    assert accounts["customer_deposits"] == "0.00" and accounts["customer_payments"] == "0.00"
    assert accounts["dealer_commission_payable:SH-1"] == "-9000.00"  # 3 % credited to SH-1

    me = client.get("/api/v1/me", headers=buyer).json()["id"]
    timeline = client.get(f"/api/v1/customers/{me}/timeline", headers=buyer).json()["items"]
    kinds = [e["type"] for e in timeline]
    assert kinds[0] == "order.handed_over" and "order.reserved" in kinds


def test_return_within_the_window_refunds_everything(client, db):
    net, vins, buyer = h.setup(db, client)
    order = h.reserve(client, buyer, vins[0]).json()
    h.pay(client, db, buyer, order["id"], "deposit", "5000.00")
    h.pay(client, db, buyer, order["id"], "balance", "295000.00")
    staff = f.token(client, net["users"]["staff"])
    client.post(f"/api/v1/orders/{order['id']}/handover", headers=staff, json={"odometer_km": 10})
    problem(
        client.post(
            f"/api/v1/orders/{order['id']}/return", headers=buyer, json={"odometer_km": 9999}
        ),
        409,
        "return_mileage_exceeded",
    )
    r = client.post(
        f"/api/v1/orders/{order['id']}/return", headers=buyer, json={"odometer_km": 150}
    )
    assert r.status_code == 200 and r.json()["status"] == "returned", r.text
    assert all(p["refunded"] == p["amount"] for p in r.json()["payments"])
    balanced, accounts = h.ledger(client, db, net)
    assert balanced
    assert accounts["provider_clearing:sandbox"] == "0.00"
    assert accounts["carmaker_revenue"] == "0.00"
    assert accounts["dealer_commission_payable:SH-1"] == "0.00"


def test_return_after_the_window_is_refused(client, db):
    net, vins, buyer = h.setup(db, client)
    order = h.reserve(client, buyer, vins[0]).json()
    h.pay(client, db, buyer, order["id"], "deposit", "5000.00")
    h.pay(client, db, buyer, order["id"], "balance", "295000.00")
    client.post(
        f"/api/v1/orders/{order['id']}/handover", headers=f.token(client, net["users"]["staff"])
    )
    with db.transaction() as s:
        s.execute(
            update(Order).values(handed_over_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=8))
        )
    problem(
        client.post(
            f"/api/v1/orders/{order['id']}/return", headers=buyer, json={"odometer_km": 10}
        ),
        409,
        "return_window_closed",
    )


def test_cancel_after_deposit_refunds_it_and_frees_the_car(client, db):
    net, vins, buyer = h.setup(db, client)
    order = h.reserve(client, buyer, vins[0]).json()
    h.pay(client, db, buyer, order["id"], "deposit", "5000.00")
    r = client.post(f"/api/v1/orders/{order['id']}/cancel", headers=buyer)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert r.json()["payments"][0]["refunded"]["amount"] == "5000.00"
    assert client.get(f"/api/v1/vehicles/{vins[0]}").json()["status"] == "available"
    balanced, accounts = h.ledger(client, db, net)
    assert balanced and accounts["provider_clearing:sandbox"] == "0.00"
    problem(
        client.post(f"/api/v1/orders/{order['id']}/cancel", headers=buyer),
        409,
        "illegal_transition",
    )


def test_illegal_transitions_are_409(client, db):
    net, vins, buyer = h.setup(db, client)
    order = h.reserve(client, buyer, vins[0]).json()
    staff = f.token(client, net["users"]["staff"])
    body = problem(
        client.post(f"/api/v1/orders/{order['id']}/handover", headers=staff),
        409,
        "illegal_transition",
    )
    assert body["status"] == 409
    problem(
        client.post(
            f"/api/v1/orders/{order['id']}/payments",
            headers=buyer,
            json={"amount": "295000.00", "purpose": "balance"},
        ),
        409,
        "balance_not_due",
    )
    problem(
        client.post(
            f"/api/v1/orders/{order['id']}/payments",
            headers=buyer,
            json={"amount": "4999.99", "purpose": "deposit"},
        ),
        422,
        "amount_mismatch",
    )


def test_a_lapsed_hold_is_released_and_cannot_be_paid(client, db):
    from motormall.orders.jobs import release_lapsed_holds

    net, vins, buyer = h.setup(db, client)
    order = h.reserve(client, buyer, vins[0]).json()
    h.lapse_holds(db)
    assert release_lapsed_holds() == 1
    assert client.get(f"/api/v1/orders/{order['id']}", headers=buyer).json()["status"] == "expired"
    listed = [v["vin"] for v in client.get("/api/v1/vehicles?limit=100").json()["items"]]
    assert vins[0] in listed
    problem(
        client.post(
            f"/api/v1/orders/{order['id']}/payments",
            headers=buyer,
            json={"amount": "5000.00", "purpose": "deposit"},
        ),
        409,
        "order_expired",
    )


def test_a_lapsed_hold_does_not_block_the_next_buyer(client, db):
    net, vins, buyer = h.setup(db, client)
    h.reserve(client, buyer, vins[0])
    h.lapse_holds(db)
    # no sweep has run yet: the reservation itself releases the lapsed hold
    assert h.reserve(client, buyer, vins[0]).status_code == 201


def test_orders_are_private(client, db):
    net, vins, buyer = h.setup(db, client)
    order = h.reserve(client, buyer, vins[0]).json()
    other = h.second_buyer(client)
    problem(client.get(f"/api/v1/orders/{order['id']}", headers=other), 404, "order_not_found")
    other_dealer = f.token(client, net["users"]["other_manager"])
    problem(
        client.get(f"/api/v1/orders/{order['id']}", headers=other_dealer), 404, "order_not_found"
    )
    staff = f.token(client, net["users"]["staff"])
    assert client.get(f"/api/v1/orders/{order['id']}", headers=staff).status_code == 200
    assert [o["id"] for o in client.get("/api/v1/orders", headers=staff).json()["items"]] == [
        order["id"]
    ]
    assert client.get("/api/v1/orders", headers=other).json()["items"] == []
    assert client.get(f"/api/v1/orders/{order['id']}/instalments", headers=buyer).json() == {
        "items": [],
        "next_cursor": None,
    }


def test_a_tower_hands_over_a_car_from_its_bay(client, db):
    from motormall.platform.auth import Role, create_user

    net = f.network(db)
    vin = f.stock(
        db, net["dealers"]["SH-1"], net["trims"][0], [1], price="300000.00", tower_id=net["tower"]
    )[0]
    with db.transaction() as s:
        create_user(
            s, email="tower@test.dev", password=f.PASSWORD, role=Role.tower, tower_id=net["tower"]
        )
    buyer = f.token(client, net["users"]["customer"])
    order = h.reserve(client, buyer, vin).json()
    assert order["delivery"] == {"kind": "tower", "code": "TWR-SH1"}
    h.pay(client, db, buyer, order["id"], "deposit", "5000.00")
    h.pay(client, db, buyer, order["id"], "balance", "295000.00")
    tower = f.token(client, "tower@test.dev")
    assert [o["id"] for o in client.get("/api/v1/orders", headers=tower).json()["items"]] == [
        order["id"]
    ]
    problem(
        client.post(f"/api/v1/orders/{order['id']}/cancel", headers=tower), 403, "role_not_allowed"
    )
    r = client.post(f"/api/v1/orders/{order['id']}/handover", headers=tower)
    assert r.status_code == 200 and r.json()["status"] == "handed_over"
    car = client.get(f"/api/v1/vehicles/{vin}").json()
    assert car["status"] == "sold" and car["location"]["kind"] == "dealer"  # the bay is free


def test_my_orders_page_through_newest_first(client, db):
    net, vins, buyer = h.setup(db, client, n_cars=2)  # two: the most one buyer may hold
    ids = [h.reserve(client, buyer, v).json()["id"] for v in vins]
    first = client.get("/api/v1/orders?limit=1", headers=buyer).json()
    rest = client.get(f"/api/v1/orders?limit=1&cursor={first['next_cursor']}", headers=buyer).json()
    assert [o["id"] for o in first["items"] + rest["items"]] == ids[::-1]
    assert rest["next_cursor"] is None


def test_a_dealer_only_credited_with_the_sale_cannot_cancel_it(client, db):
    net, vins, buyer = h.setup(db, client)
    client.post(
        "/api/v1/leads",
        headers=buyer,
        json={"channel": "web", "model_id": net["models"][0], "near": "32.06,118.80"},
    )  # NJ-1's lead
    order = h.reserve(client, buyer, vins[0], delivery_dealer="SH-1").json()
    assert order["credited_dealer"] == "NJ-1"
    from motormall.platform.auth import Role, create_user

    with db.transaction() as s:
        create_user(
            s,
            email="nj@test.dev",
            password=f.PASSWORD,
            role=Role.dealer_staff,
            dealer_id=net["dealers"]["NJ-1"],
        )
    nj = f.token(client, "nj@test.dev")
    assert client.get(f"/api/v1/orders/{order['id']}", headers=nj).status_code == 200
    problem(
        client.post(f"/api/v1/orders/{order['id']}/cancel", headers=nj), 403, "role_not_allowed"
    )
    staff = f.token(client, net["users"]["staff"])  # SH-1 delivers it
    assert (
        client.post(f"/api/v1/orders/{order['id']}/cancel", headers=staff).json()["status"]
        == "cancelled"
    )
