"""Coupons at checkout: limits, dates, brands, release on cancel and lapse, the discount in
the ledger as marketing expense, and a single-use coupon raced by ten buyers."""

import threading

from sqlalchemy import func, select

import motormall.handlers  # noqa: F401  events published by the race below need listeners
from motormall.marketing.models import Campaign, CouponRedemption
from motormall.orders import service
from motormall.platform.auth import Principal, Role, create_user
from motormall.platform.config import Settings
from motormall.platform.db import utcnow
from motormall.platform.errors import Conflict
from tests import factories as f
from tests.catalog.test_api import problem
from tests.marketing.helpers import campaign, when
from tests.orders import helpers as h


def test_a_live_coupon_takes_its_discount_once_per_customer(client, db):
    net, vins, buyer = h.setup(db, client)
    assert campaign(client, net, code="spring", max_redemptions=5).status_code == 201
    r = h.reserve(client, buyer, vins[0], coupon="SPRING")
    assert r.status_code == 201, r.text
    order = client.get(f"/api/v1/orders/{r.json()['id']}", headers=buyer).json()
    assert order["price"]["amount"] == "290000.00"
    problem(h.reserve(client, buyer, vins[1], coupon="spring"), 409, "coupon_unavailable")
    # the refused attempt held nothing: the car is still free
    assert client.get(f"/api/v1/vehicles/{vins[1]}").json()["status"] == "available"
    with db.reading() as s:
        assert s.scalar(select(Campaign.redeemed)) == 1


def test_coupons_outside_their_dates_brand_or_limit_are_unavailable(client, db):
    net, vins, buyer = h.setup(db, client)
    campaign(client, net, code="LATER", starts=2, ends=9)
    campaign(client, net, code="OVER", starts=-9, ends=-1)
    campaign(client, net, code="FORDONLY", brand="FORD")
    campaign(client, net, code="ONCE", max_redemptions=1)
    for code in ("LATER", "OVER", "FORDONLY", "NOSUCH"):
        problem(h.reserve(client, buyer, vins[0], coupon=code), 409, "coupon_unavailable")
    assert h.reserve(client, buyer, vins[0], coupon="ONCE").status_code == 201
    two = h.second_buyer(client)
    problem(h.reserve(client, two, vins[1], coupon="ONCE"), 409, "coupon_unavailable")


def test_cancelling_or_lapsing_gives_the_coupon_back(client, db):
    net, vins, buyer = h.setup(db, client)
    campaign(client, net, code="ONCE", max_redemptions=1)
    first = h.reserve(client, buyer, vins[0], coupon="ONCE").json()
    assert client.post(f"/api/v1/orders/{first['id']}/cancel", headers=buyer).status_code == 200
    second = h.reserve(client, buyer, vins[1], coupon="ONCE")
    assert second.status_code == 201, second.text
    h.lapse_holds(db)
    from motormall.orders.jobs import release_lapsed_holds

    assert release_lapsed_holds() == 1
    two = h.second_buyer(client)
    assert h.reserve(client, two, vins[2], coupon="ONCE").status_code == 201
    with db.reading() as s:
        statuses = s.scalars(select(CouponRedemption.status).order_by(CouponRedemption.id))
        assert list(statuses) == ["released", "released", "held"]
        assert s.scalar(select(Campaign.redeemed)) == 1


def test_the_discount_is_marketing_expense_not_missing_revenue(client, db):
    net, vins, buyer = h.setup(db, client)
    campaign(client, net, code="SPRING", discount="10000.00")
    order = h.reserve(client, buyer, vins[0], coupon="SPRING").json()
    h.pay(client, db, buyer, order["id"], "deposit", "5000.00")
    h.pay(client, db, buyer, order["id"], "balance", "285000.00")
    staff = f.token(client, net["users"]["staff"])
    r = client.post(
        f"/api/v1/orders/{order['id']}/handover", headers=staff, json={"odometer_km": 3}
    )
    assert r.status_code == 200, r.text
    balanced, accounts = h.ledger(client, db, net)
    assert balanced
    assert accounts["carmaker_revenue"] == "-300000.00"  # the list price
    assert accounts["marketing_expense"] == "10000.00"
    assert accounts["provider_clearing:sandbox"] == "290000.00"
    r = client.post(f"/api/v1/orders/{order['id']}/return", headers=buyer, json={"odometer_km": 30})
    assert r.status_code == 200, r.text
    balanced, accounts = h.ledger(client, db, net)
    assert balanced and accounts["carmaker_revenue"] == "0.00"
    assert accounts["marketing_expense"] == "0.00"


def test_bad_campaigns_are_refused(client, db):
    net, _, buyer = h.setup(db, client, n_cars=0)
    problem(campaign(client, net, code="BACK", starts=5, ends=1), 422, "campaign_dates")
    assert campaign(client, net, code="DUP").status_code == 201
    problem(campaign(client, net, code="dup"), 409, "already_exists")
    admin = f.token(client, net["users"]["admin"])
    body = {
        "brand": "BMW",
        "name": "x",
        "segment": "all",
        "offer": {
            "kind": "coupon",
            "code": "EURO",
            "discount": {"amount": "100.00", "currency": "CNY"},
        },
        "starts_at": when(0),
        "ends_at": when(3),
        "budget": {"amount": "1000.00", "currency": "EUR"},
    }
    problem(client.post("/api/v1/campaigns", headers=admin, json=body), 422, "currency_mismatch")
    problem(client.post("/api/v1/campaigns", headers=buyer, json=body), 403, "role_not_allowed")


def test_the_budget_caps_redemptions(client, db):
    net, vins, buyer = h.setup(db, client)
    admin = f.token(client, net["users"]["admin"])
    body = {
        "brand": "BMW",
        "name": "small",
        "segment": "all",
        "offer": {
            "kind": "coupon",
            "code": "SMALL",
            "per_customer": 5,
            "discount": {"amount": "6000.00", "currency": "CNY"},
        },
        "starts_at": when(-1),
        "ends_at": when(3),
        "budget": {"amount": "10000.00", "currency": "CNY"},
    }
    assert client.post("/api/v1/campaigns", headers=admin, json=body).status_code == 201
    assert h.reserve(client, buyer, vins[0], coupon="SMALL").status_code == 201
    problem(h.reserve(client, buyer, vins[1], coupon="SMALL"), 409, "coupon_unavailable")


def test_a_single_use_coupon_raced_by_ten_buyers_is_redeemed_once(client, db):
    net = f.network(db)
    vins = f.stock(db, net["dealers"]["SH-1"], net["trims"][0], range(1, 11))
    assert campaign(client, net, code="ONLYONE", max_redemptions=1).status_code == 201
    with db.transaction() as s:
        buyers = [
            create_user(s, email=f"r{i}@test.dev", password=f.PASSWORD, role=Role.customer)
            for i in range(10)
        ]
        buyers = [Principal(user_id=u.id, role=Role.customer, email=u.email) for u in buyers]
    wins, losses, errors = [], [], []
    barrier = threading.Barrier(10)

    def buy(who, vin):
        barrier.wait()
        try:
            with db.transaction() as s:
                req = service.ReserveRequest(vin=vin, coupon="ONLYONE")
                wins.append(
                    service.reserve(s, who, req, now=utcnow(), settings=Settings(secret_key="x")).id
                )
        except Conflict as exc:
            losses.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(exc))

    threads = [threading.Thread(target=buy, args=(b, v)) for b, v in zip(buyers, vins, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(wins) == 1 and losses == ["coupon_unavailable"] * 9
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(CouponRedemption)) == 1
        assert s.scalar(select(Campaign.redeemed)) == 1


def test_a_revived_order_takes_its_coupon_back_or_has_it_honoured(client, db):
    from motormall.orders.jobs import release_lapsed_holds

    net, vins, buyer = h.setup(db, client)
    campaign(client, net, code="ONCE", max_redemptions=1)
    first = h.reserve(client, buyer, vins[0], coupon="ONCE").json()
    intent = h.start_payment(client, buyer, first["id"], "deposit", "5000.00")
    h.lapse_holds(db)
    release_lapsed_holds()  # the coupon goes back to the campaign...
    two = h.second_buyer(client)
    assert h.reserve(client, two, vins[1], coupon="ONCE").status_code == 201  # ...and is used
    r = h.notify(client, h.take_at_sandbox(db, intent["id"]))
    assert r.headers["notification-outcome"] == "revived"
    with db.reading() as s:
        rows = s.execute(select(CouponRedemption.order_id, CouponRedemption.status)).all()
        assert dict(rows)[first["id"]] == "honoured"  # its price stands; not a use
        assert s.scalar(select(Campaign.redeemed)) == 1
        assert s.scalar(select(Campaign.spent)) == 10000
        campaign_id = s.scalar(select(Campaign.id))
    admin = f.token(client, net["users"]["admin"])
    got = client.get(f"/api/v1/campaigns/{campaign_id}/results", headers=admin).json()
    assert got["cost"]["amount"] == "20000.00"  # both discounts are the campaign's cost
