"""Provider notifications: signatures, replays, wrong amounts, late and lost deliveries."""

import datetime as dt
import json

from sqlalchemy import update

from motormall.payments.models import PaymentIntent
from tests.catalog.test_api import problem
from tests.orders import helpers as h


def _order_with_deposit_intent(client, db):
    net, vins, buyer = h.setup(db, client)
    order = h.reserve(client, buyer, vins[0]).json()
    intent = h.start_payment(client, buyer, order["id"], "deposit", "5000.00")
    return net, vins, buyer, order, intent


def _status(client, buyer, order_id):
    return client.get(f"/api/v1/orders/{order_id}", headers=buyer).json()["status"]


def test_a_forged_notification_is_400_and_changes_nothing(client, db):
    net, vins, buyer, order, intent = _order_with_deposit_intent(client, db)
    headers, body = h.take_at_sandbox(db, intent["id"])
    forged = body.replace(b'"5000.00"', b'"5000.00" ')
    problem(h.notify(client, (headers, forged)), 400, "bad_signature")
    problem(h.notify(client, ({"content-type": "application/json"}, body)), 400, "bad_signature")
    problem(h.notify(client, ({"sandbox-signature": "t=1,v1=00"}, body)), 400, "bad_signature")
    assert _status(client, buyer, order["id"]) == "reserved"
    assert h.ledger(client, db, net) == (True, {})


def test_a_replayed_notification_changes_nothing(client, db):
    net, vins, buyer, order, intent = _order_with_deposit_intent(client, db)
    signed = h.take_at_sandbox(db, intent["id"])
    first = h.notify(client, signed)
    again = h.notify(client, signed)
    assert first.status_code == again.status_code == 200
    assert first.headers["notification-outcome"] == "applied"
    assert again.headers["notification-outcome"] == "duplicate"
    balanced, accounts = h.ledger(client, db, net)
    assert balanced and accounts["customer_deposits"] == "-5000.00"


def test_a_notification_for_another_amount_is_refused_and_flagged(client, db):
    net, vins, buyer, order, intent = _order_with_deposit_intent(client, db)
    r = h.notify(client, h.take_at_sandbox(db, intent["id"], amount="50.00"))
    problem(r, 422, "amount_mismatch")
    assert h.intent_status(db, intent["id"]) == "flagged"
    assert _status(client, buyer, order["id"]) == "reserved"
    assert h.ledger(client, db, net) == (True, {})


def test_unknown_provider_and_unknown_payment(client, db):
    problem(client.post("/api/v1/payments/notify/paypal", content=b"{}"), 404, "unknown_provider")
    net, vins, buyer, order, intent = _order_with_deposit_intent(client, db)
    headers, body = h.take_at_sandbox(db, intent["id"])
    from motormall.payments.providers import sandbox
    from motormall.platform.config import get_settings

    data = json.loads(body)
    data["intent_id"], data["notification_id"] = "0" * 32, "other"
    body = json.dumps(data).encode()
    headers = {"sandbox-signature": sandbox.sign(get_settings(), body)}
    problem(h.notify(client, (headers, body)), 404, "payment_not_found")


def test_a_deposit_after_the_hold_lapsed_revives_the_order_if_the_car_is_free(client, db):
    from motormall.orders.jobs import release_lapsed_holds

    net, vins, buyer, order, intent = _order_with_deposit_intent(client, db)
    h.lapse_holds(db)
    release_lapsed_holds()
    assert _status(client, buyer, order["id"]) == "expired"
    assert (
        h.notify(client, h.take_at_sandbox(db, intent["id"])).headers["notification-outcome"]
        == "revived"
    )
    assert _status(client, buyer, order["id"]) == "deposit_paid"
    assert client.get(f"/api/v1/vehicles/{vins[0]}").json()["status"] == "reserved"


def test_a_deposit_after_the_car_went_to_someone_else_is_refunded(client, db):
    from motormall.orders.jobs import release_lapsed_holds

    net, vins, buyer, order, intent = _order_with_deposit_intent(client, db)
    h.lapse_holds(db)
    release_lapsed_holds()
    other = h.second_buyer(client)
    assert h.reserve(client, other, vins[0]).status_code == 201
    r = h.notify(client, h.take_at_sandbox(db, intent["id"]))
    assert r.headers["notification-outcome"] == "refunded"
    assert _status(client, buyer, order["id"]) == "expired"
    balanced, accounts = h.ledger(client, db, net)
    assert balanced and accounts["provider_clearing:sandbox"] == "0.00"


def test_a_second_deposit_is_refunded(client, db):
    net, vins, buyer, order, first = _order_with_deposit_intent(client, db)
    second = h.start_payment(client, buyer, order["id"], "deposit", "5000.00")
    h.notify(client, h.take_at_sandbox(db, first["id"]))
    r = h.notify(client, h.take_at_sandbox(db, second["id"]))
    assert r.headers["notification-outcome"] == "refunded"
    balanced, accounts = h.ledger(client, db, net)
    assert balanced and accounts["customer_deposits"] == "-5000.00"


def test_a_lost_notification_is_recovered_by_reconciliation(client, db):
    """The process died after the provider took the money, before any notification."""
    from motormall.payments.jobs import reconcile_pending

    net, vins, buyer, order, intent = _order_with_deposit_intent(client, db)
    h.take_at_sandbox(db, intent["id"])  # paid at the provider; the notification is lost
    assert reconcile_pending() == {}  # too recent: the notification may still come
    with db.transaction() as s:
        s.execute(
            update(PaymentIntent).values(
                created_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
            )
        )
    assert reconcile_pending() == {"applied": 1}
    assert _status(client, buyer, order["id"]) == "deposit_paid"
    assert reconcile_pending() == {}  # nothing pending any more
    balanced, accounts = h.ledger(client, db, net)
    assert balanced and accounts["customer_deposits"] == "-5000.00"


def test_the_sandbox_pay_page_completes_the_payment(client, db):
    import re

    net, vins, buyer, order, intent = _order_with_deposit_intent(client, db)
    page = client.get(intent["pay_url"])
    assert page.status_code == 200 and "5,000" in page.text
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text).group(1)
    r = client.post(
        intent["pay_url"], data={"decision": "pay", "csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == f"/orders/{order['id']}"
    # the sandbox's notification went through the job queue (inline in tests)
    assert _status(client, buyer, order["id"]) == "deposit_paid"
