"""The OEM console: flagged payments the carmaker can act on; conversion per dealer."""

from sqlalchemy import select

from motormall.payments.models import Refund
from motormall.platform.audit import AuditEntry
from tests import factories as f
from tests.orders import helpers as h
from tests.web.test_checkout import _login
from tests.web.test_pages import csrf_of


def _flagged(client, db):
    net, vins, buyer = h.setup(db, client)
    order = h.reserve(client, buyer, vins[0]).json()
    intent = h.start_payment(client, buyer, order["id"], "deposit", "5000.00")
    h.notify(client, h.take_at_sandbox(db, intent["id"], amount="50.00"))
    return net, buyer, order, intent


def _status(client, buyer, order_id):
    return client.get(f"/api/v1/orders/{order_id}", headers=buyer).json()["status"]


def test_the_queue_shows_even_when_empty(client, db):
    f.network(db)
    _login(client, "admin@test.dev")
    page = client.get("/oem").text
    assert 'id="flagged"' in page and "No payment waits for review." in page


def test_the_carmaker_accepts_a_flagged_payment_with_a_note(client, db):
    net, buyer, order, intent = _flagged(client, db)
    _login(client, "admin@test.dev")
    page = client.get("/oem").text
    assert f'href="/orders/{order["id"]}"' in page and "buyer@test.dev" in page
    assert "The provider reported CN¥50; CN¥5,000 was asked." in page
    no_note = client.post(
        f"/oem/payments/{intent['id']}/accept", data={"note": " ", "csrf_token": csrf_of(page)}
    )
    assert no_note.status_code == 422 and h.intent_status(db, intent["id"]) == "flagged"
    r = client.post(
        f"/oem/payments/{intent['id']}/accept",
        data={"note": "provider statement shows 5000", "csrf_token": csrf_of(page)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert h.intent_status(db, intent["id"]) == "succeeded"
    assert _status(client, buyer, order["id"]) == "deposit_paid"
    balanced, accounts = h.ledger(client, db, net)
    assert balanced and accounts["customer_deposits"] == "-5000.00"
    with db.reading() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "payment.flag_accepted"))
        assert entry.detail["note"] == "provider statement shows 5000" and entry.actor_id
    again = client.post(
        f"/oem/payments/{intent['id']}/refund", data={"note": "x", "csrf_token": csrf_of(page)}
    )
    assert again.status_code == 409  # reviewed once only


def test_the_carmaker_refunds_what_the_provider_took(client, db):
    net, buyer, order, intent = _flagged(client, db)
    _login(client, "admin@test.dev")
    page = client.get("/oem").text
    r = client.post(
        f"/oem/payments/{intent['id']}/refund",
        data={"note": "buyer asked us to", "csrf_token": csrf_of(page)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert h.intent_status(db, intent["id"]) == "failed"
    assert _status(client, buyer, order["id"]) == "reserved"
    with db.reading() as s:
        refund = s.scalar(select(Refund).where(Refund.intent_id == intent["id"]))
        assert refund.amount == __import__("decimal").Decimal("50.00")
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "payment.flag_refunded"))
    assert h.ledger(client, db, net)[0]  # booked in, and out again when the provider confirms
    assert "No payment waits for review." in client.get("/oem").text


def test_conversion_names_dealers_and_gives_shares_in_a_period(client, db):
    net = f.network(db)
    vin = f.stock(db, net["dealers"]["SH-1"], net["trims"][0], [1])[0]
    _login(client, "buyer@test.dev")
    page = client.get(f"/vehicles/{vin}")
    client.post(
        f"/vehicles/{vin}/inquiry", data={"message": "hi", "csrf_token": csrf_of(page.text)}
    )
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/").text)})
    _login(client, "admin@test.dev")
    console = client.get("/oem").text
    row = console[console.index('id="conversion"') :]
    assert "Dealer SH-1" in row and '<td class="pct">0 %</td>' in row
    empty = client.get("/oem?from=2001-01-01&to=2001-01-31").text
    assert 'id="conversion"' not in empty and "No leads yet." in empty
    assert client.get("/oem?from=yesterday").status_code == 422
