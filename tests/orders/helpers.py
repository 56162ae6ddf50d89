"""Order test helpers: reserve, pay through the sandbox, read the ledger."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from motormall.payments.models import PaymentIntent
from motormall.payments.providers import sandbox
from tests import factories as f


def setup(db, client, n_cars=3):
    net = f.network(db)
    vins = f.stock(
        db, net["dealers"]["SH-1"], net["trims"][0], range(1, n_cars + 1), price="300000.00"
    )
    buyer = f.token(client, net["users"]["customer"])
    return net, vins, buyer


def reserve(client, headers, vin, key=None, **extra):
    h = dict(headers)
    if key:
        h["Idempotency-Key"] = key
    return client.post("/api/v1/orders", json={"vin": vin, **extra}, headers=h)


def start_payment(client, headers, order_id, purpose, amount):
    r = client.post(
        f"/api/v1/orders/{order_id}/payments",
        headers=headers,
        json={"amount": amount, "purpose": purpose},
    )
    assert r.status_code == 201, r.text
    return r.json()


def take_at_sandbox(db, intent_id, *, amount=None, succeed=True):
    """The buyer pays at the sandbox; returns the signed notification it would send."""
    from motormall.platform.config import get_settings

    with db.transaction() as s:
        intent = s.get(PaymentIntent, intent_id)
        payment = sandbox.take_payment(
            s,
            intent_id=intent_id,
            amount=Decimal(amount) if amount is not None else intent.amount,
            currency=intent.currency,
            succeed=succeed,
        )
        return sandbox.signed_notification(get_settings(), payment)


def notify(client, headers_body):
    headers, body = headers_body
    return client.post("/api/v1/payments/notify/sandbox", content=body, headers=headers)


def pay(client, db, headers, order_id, purpose, amount):
    intent = start_payment(client, headers, order_id, purpose, amount)
    r = notify(client, take_at_sandbox(db, intent["id"]))
    assert r.status_code == 200, r.text
    return intent


def ledger(client, db, net):
    admin = f.token(client, net["users"]["admin"])
    body = client.get("/api/v1/admin/ledger/balance", headers=admin).json()
    return body["balanced"], {a["account"]: a["balance"] for a in body["accounts"]}


def intent_status(db, intent_id):
    with db.reading() as s:
        return s.scalar(select(PaymentIntent.status).where(PaymentIntent.id == intent_id))


def second_buyer(client) -> dict:
    """Register another customer and return their auth headers."""
    client.post(
        "/api/v1/auth/register",
        json={
            "email": "two@test.dev",
            "password": "long-enough-2",
            "name": "Two",
            "phone": "13900139000",
            "city": "Shanghai",
        },
    )
    return f.token(client, "two@test.dev", "long-enough-2")


def lapse_holds(db) -> None:
    """Every reservation's hold ran out a second ago."""
    import datetime as dt

    from sqlalchemy import update

    from motormall.orders.models import Order

    with db.transaction() as s:
        s.execute(
            update(Order).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
