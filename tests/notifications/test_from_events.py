"""Notifications react to other domains' events: what happens to a buyer's order reaches
their inbox, in their language, in the same transaction as the fact."""

from sqlalchemy import select, update

from motormall.platform.audit import AuditEntry
from motormall.platform.auth import User
from tests.orders import helpers as h


def _titles(client, headers):
    items = client.get("/api/v1/me/notifications", headers=headers).json()["items"]
    return [i["title"] for i in items]


def test_a_reservation_and_its_refund_reach_the_buyers_inbox(client, db):
    net, vins, buyer = h.setup(db, client)
    order = h.reserve(client, buyer, vins[0]).json()
    assert _titles(client, buyer)[0] == "The car is held for you"
    h.pay(client, db, buyer, order["id"], "deposit", "5000.00")
    client.post(f"/api/v1/orders/{order['id']}/cancel", headers=buyer)
    items = client.get("/api/v1/me/notifications", headers=buyer).json()["items"]
    assert items[0]["title"] == "Your money is on its way back"
    assert "5000.00" in items[0]["body"] and items[0]["link"] == f"/orders/{order['id']}"


def test_a_chinese_speaking_buyer_reads_the_hold_in_chinese(client, db):
    net, vins, buyer = h.setup(db, client)
    with db.transaction() as s:
        s.execute(update(User).where(User.email == "buyer@test.dev").values(locale="zh-CN"))
    h.reserve(client, buyer, vins[0])
    items = client.get("/api/v1/me/notifications", headers=buyer).json()["items"]
    assert items[0]["title"] == "车辆已为您保留" and vins[0] in items[0]["body"]


def test_a_refused_reservation_leaves_no_message(client, db):
    net, vins, buyer = h.setup(db, client)
    h.reserve(client, buyer, vins[0])
    other = h.second_buyer(client)
    before = _titles(client, other)
    assert h.reserve(client, other, vins[0]).status_code == 409
    assert _titles(client, other) == before


def test_a_buyer_switches_the_language_messages_are_written_in(client, db):
    net, vins, buyer = h.setup(db, client)
    h.reserve(client, buyer, vins[0])
    assert _titles(client, buyer)[0] == "The car is held for you"
    r = client.patch("/api/v1/me", json={"locale": "zh-CN"}, headers=buyer)
    assert r.status_code == 200 and r.json()["locale"] == "zh-CN"
    assert client.get("/api/v1/me", headers=buyer).json()["locale"] == "zh-CN"
    assert _titles(client, buyer)[0] == "车辆已为您保留"  # the inbox reads in the new language
    bad = client.patch("/api/v1/me", json={"locale": "fr"}, headers=buyer)
    assert bad.status_code == 422 and bad.json()["code"] == "validation_error"
    extra = client.patch("/api/v1/me", json={"locale": "en", "role": "oem_admin"}, headers=buyer)
    assert extra.status_code == 422  # nothing else about the account changes here
    assert client.get("/api/v1/me", headers=buyer).json()["role"] == "customer"
    with db.reading() as s:
        changed = s.scalars(
            select(AuditEntry.detail).where(AuditEntry.action == "account.locale_changed")
        ).all()
    assert changed == [{"from": "en", "to": "zh-CN"}]
