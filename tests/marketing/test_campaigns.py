"""A campaign launched to a segment: consent per channel decides who is reached, a random
10 % holdout gets nothing, offers go through the outbox, results compare the groups."""

from decimal import Decimal

from sqlalchemy import select, update

import motormall.handlers  # noqa: F401
from motormall.marketing import consent, launch
from motormall.marketing.models import CampaignMember
from motormall.membership import service as membership
from motormall.notifications.models import Notification
from motormall.platform.auth import Role, create_user
from motormall.platform.db import utcnow
from tests import factories as f
from tests.marketing.helpers import when
from tests.orders import helpers as h


def _customers(db, n, *, channel="email", city="Shanghai"):
    now = utcnow()
    with db.transaction() as s:
        ids = []
        for i in range(n):
            u = create_user(
                s, email=f"c{i}@test.dev", password=f.PASSWORD, role=Role.customer, city=city
            )
            consent.record(s, u.id, channel, True, source="settings", now=now)
            membership.join(s, u.id, "BMW", now=now)
            ids.append(u.id)
        return ids


def _create(client, net, **extra):
    admin = f.token(client, net["users"]["admin"])
    body = {
        "brand": "BMW",
        "name": "Spring",
        "segment": 'member("BMW") and city = "Shanghai"',
        "offer": {
            "kind": "coupon",
            "code": "SPRING",
            "discount": {"amount": "8000.00", "currency": "CNY"},
        },
        "starts_at": when(-0.01),
        "ends_at": when(30),
        "channel": "email",
        **extra,
    }
    r = client.post("/api/v1/campaigns", headers=admin, json=body)
    assert r.status_code == 201, r.text
    return r.json(), admin


def test_launch_reaches_consenting_members_and_keeps_a_holdout(client, db):
    net, vins, _ = h.setup(db, client, n_cars=2)
    ids = _customers(db, 20)
    with db.transaction() as s:  # one more member who said yes only to SMS
        u = create_user(
            s, email="sms@test.dev", password=f.PASSWORD, role=Role.customer, city="Shanghai"
        )
        consent.record(s, u.id, "sms", True, source="settings", now=utcnow())
        membership.join(s, u.id, "BMW", now=utcnow())
    campaign, admin = _create(client, net)
    with db.transaction() as s:
        assert launch.launch_due(s, now=utcnow()) == [campaign["id"]]
    with db.transaction() as s:
        assert launch.launch_due(s, now=utcnow()) == []  # once
    with db.reading() as s:
        members = s.execute(
            select(
                CampaignMember.customer_id, CampaignMember.holdout, CampaignMember.notification_id
            )
        ).all()
        assert {m.customer_id for m in members} == set(ids)  # not the SMS-only customer
        holdout = [m for m in members if m.holdout]
        assert len(holdout) == 2 and all(m.notification_id is None for m in holdout)
        sent = s.scalars(select(Notification).where(Notification.kind == "campaign_coupon_email"))
        assert {n.customer_id for n in sent} == {m.customer_id for m in members if not m.holdout}

    target = next(m.customer_id for m in members if not m.holdout)
    with db.transaction() as s:  # the target member reads the offer and buys with the coupon
        s.execute(
            update(Notification).where(Notification.customer_id == target).values(read_at=utcnow())
        )
    buyer = f.token(client, f"c{ids.index(target)}@test.dev")
    assert h.reserve(client, buyer, vins[0], coupon="SPRING").status_code == 201

    r = client.get(f"/api/v1/campaigns/{campaign['id']}/results", headers=admin)
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["reached"], got["opened"], got["orders"]) == (18, 1, 1)
    assert got["cost"] == {"amount": "8000.00", "currency": "CNY"}
    assert got["holdout"]["members"] == 2 and got["holdout"]["orders"] == 0
    lift = got["conversion_uplift"]
    assert lift["uplift"] == round(1 / 18, 6) and lift["ci95"][0] < 0 < lift["ci95"][1]


def test_segment_only_coupons_are_for_the_target_group(client, db):
    net, vins, buyer = h.setup(db, client, n_cars=2)
    ids = _customers(db, 10)
    campaign, _ = _create(
        client,
        net,
        offer={
            "kind": "coupon",
            "code": "VIP",
            "segment_only": True,
            "discount": {"amount": "5000.00", "currency": "CNY"},
        },
        holdout_pct=20,
    )
    with db.transaction() as s:
        launch.launch(s, campaign["id"], now=utcnow())
    with db.reading() as s:
        held = set(s.scalars(select(CampaignMember.customer_id).where(CampaignMember.holdout)))
    from tests.catalog.test_api import problem

    problem(h.reserve(client, buyer, vins[0], coupon="VIP"), 409, "coupon_unavailable")
    kept = f.token(client, f"c{next(n for n, i in enumerate(ids) if i in held)}@test.dev")
    problem(h.reserve(client, kept, vins[0], coupon="VIP"), 409, "coupon_unavailable")
    # the holdout is drawn at random: the target is anyone not in it (there may be two)
    target = next(i for i in ids if i not in held)
    ok = h.reserve(client, f.token(client, f"c{ids.index(target)}@test.dev"), vins[0], coupon="VIP")
    assert ok.status_code == 201, ok.text


def test_a_points_multiplier_campaign_boosts_its_targets(client, db):
    net, vins, _ = h.setup(db, client, n_cars=1)
    ids = _customers(db, 1)
    admin = f.token(client, net["users"]["admin"])
    body = {
        "brand": "BMW",
        "name": "Double",
        "segment": "all",
        "offer": {"kind": "points_multiplier", "factor": "2"},
        "starts_at": when(-0.01),
        "ends_at": when(5),
        "channel": "email",
        "holdout_pct": 0,
    }
    r = client.post("/api/v1/campaigns", headers=admin, json=body)
    assert r.status_code == 201, r.text
    with db.transaction() as s:
        launch.launch(s, r.json()["id"], now=utcnow())
        m = membership.membership_of(s, ids[0], net["brands"][0])
        membership.earn_for_purchase(
            s, ids[0], net["brands"][0], Decimal("100000.00"), "order:test", now=utcnow()
        )
        assert m.points == 2000
