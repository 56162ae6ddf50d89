"""Alipay end to end through the API (offline): a deposit's pay page closes when the hold
does, and a notification for another seller's trade changes nothing."""

import datetime as dt
import json
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.orders import helpers as h
from tests.payments import alipay_fakes as fake


@pytest.fixture(scope="module")
def keys():
    return fake.new_keys()


@pytest.fixture
def alipay_client(db, settings, keys):
    from motormall.app import create_app

    update = {**fake.alipay_values(keys), "payment_provider": "alipay"}
    app = create_app(settings.model_copy(update=update), db, run_jobs=False)
    with TestClient(app) as c:
        yield c


def _notify(client, params):
    return client.post(
        "/api/v1/payments/notify/alipay", content=fake.body(params), headers=fake.HEADERS
    )


def test_the_deposit_page_expires_with_the_hold(alipay_client, db):
    net, vins, buyer = h.setup(db, alipay_client)
    order = h.reserve(alipay_client, buyer, vins[0]).json()
    intent = h.start_payment(alipay_client, buyer, order["id"], "deposit", "5000.00")
    params = dict(parse_qsl(urlsplit(intent["pay_url"]).query))
    held_until = dt.datetime.fromisoformat(order["expires_at"])
    beijing = held_until.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert json.loads(params["biz_content"])["time_expire"] == beijing.strftime("%Y-%m-%d %H:%M:%S")


def test_a_notification_for_another_seller_changes_nothing(alipay_client, db, keys):
    net, vins, buyer = h.setup(db, alipay_client)
    order = h.reserve(alipay_client, buyer, vins[0]).json()
    intent = h.start_payment(alipay_client, buyer, order["id"], "deposit", "5000.00")
    paid = dict(out_trade_no=intent["id"], total_amount="5000.00")

    other = fake.notification(keys[1], seller_id="2088000000000009", **paid)
    r = _notify(alipay_client, other)
    assert r.status_code == 400 and r.json()["code"] == "bad_signature"
    assert h.intent_status(db, intent["id"]) == "pending"
    got = alipay_client.get(f"/api/v1/orders/{order['id']}", headers=buyer).json()
    assert got["status"] == "reserved"
    assert h.ledger(alipay_client, db, net) == (True, {})

    r = _notify(alipay_client, fake.notification(keys[1], notify_id="n2", **paid))
    assert r.status_code == 200 and r.text == "success"
    assert h.intent_status(db, intent["id"]) == "succeeded"
