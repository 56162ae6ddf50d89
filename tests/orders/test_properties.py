"""Property: any sequence of order and payment actions keeps the books balanced, never holds
a VIN twice, and keeps each car's status in step with its orders."""

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from motormall.catalog.models import Vehicle
from motormall.orders import service as orders
from motormall.orders.models import Order
from motormall.orders.rules import LIVE
from motormall.payments import jobs as payment_jobs
from motormall.payments import ledger
from motormall.payments import service as payments
from motormall.payments.models import IntentStatus, PaymentIntent, Purpose
from motormall.payments.providers import sandbox
from motormall.platform.auth import Principal, Role, User
from motormall.platform.config import Settings
from motormall.platform.db import utcnow
from motormall.platform.errors import DomainError
from tests import factories as f

ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "reserve",
                "deposit",
                "balance",
                "replay",
                "expire",
                "cancel",
                "hand_over",
                "return",
                "reconcile",
                "late_deposit",
            ]
        ),
        st.integers(0, 1),  # which buyer
        st.integers(0, 1),  # which car
    ),
    min_size=1,
    max_size=14,
)
CFG = Settings(secret_key="property", sandbox_secret="property")


def _world(db):
    from tests.conftest import _empty

    _empty(db)
    net = f.network(db)
    vins = f.stock(db, net["dealers"]["SH-1"], net["trims"][0], [1, 2], price="200000.00")
    with db.reading() as s:
        users = {u.email: u for u in s.scalars(select(User))}
    buyers = [Principal(users["buyer@test.dev"].id, Role.customer, "buyer@test.dev")]
    from motormall.platform.auth import create_user

    with db.transaction() as s:
        u = create_user(s, email="second@test.dev", password=f.PASSWORD, role=Role.customer)
        buyers.append(Principal(u.id, Role.customer, u.email))
    staff = Principal(
        users["staff@test.dev"].id,
        Role.dealer_staff,
        "staff@test.dev",
        dealer_id=net["dealers"]["SH-1"],
    )
    return vins, buyers, staff


def _latest(s, who, vin):
    return s.scalar(
        select(Order)
        .where(Order.customer_id == who.user_id, Order.vin == vin)
        .order_by(Order.created_at.desc())
        .limit(1)
    )


def _pay(s, who, order, purpose, now, sent):
    amount = order.deposit if purpose == Purpose.deposit else order.price - order.deposit
    intent = payments.create_intent(
        s,
        who,
        payable="order",
        payable_id=order.id,
        amount=amount,
        purpose=purpose,
        settings=CFG,
        now=now,
    )
    payment = sandbox.take_payment(s, intent_id=intent.id, amount=amount, currency=intent.currency)
    headers, body = sandbox.signed_notification(CFG, payment)
    sent.append((headers, body))
    payments.handle_notification(s, "sandbox", headers, body, settings=CFG, now=now)


def _step(db, action, who, vin, staff, sent, clock):
    now = clock[0]
    with db.transaction() as s:
        order = _latest(s, who, vin)
        if action == "reserve":
            orders.reserve(s, who, orders.ReserveRequest(vin=vin), now=now, settings=CFG)
        elif action == "deposit" and order:
            _pay(s, who, order, Purpose.deposit, now, sent)
        elif action == "late_deposit" and order:
            # a deposit started in time whose money lands after the hold lapsed
            amount = order.deposit
            intent = payments.create_intent(
                s,
                who,
                payable="order",
                payable_id=order.id,
                amount=amount,
                purpose=Purpose.deposit,
                settings=CFG,
                now=now,
            )
            clock[0] = now = now + dt.timedelta(minutes=20)
            orders.expire_due(s, now=now)
            payment = sandbox.take_payment(
                s, intent_id=intent.id, amount=amount, currency=intent.currency
            )
            headers, body = sandbox.signed_notification(CFG, payment)
            payments.handle_notification(s, "sandbox", headers, body, settings=CFG, now=now)
        elif action == "balance" and order:
            _pay(s, who, order, Purpose.balance, now, sent)
        elif action == "replay" and sent:
            headers, body = sent[-1]
            payments.handle_notification(s, "sandbox", headers, body, settings=CFG, now=now)
        elif action == "expire":
            clock[0] = now + dt.timedelta(minutes=16)
            orders.expire_due(s, now=clock[0])
        elif action == "cancel" and order:
            orders.cancel(s, who, order, now=now, settings=CFG)
        elif action == "hand_over" and order:
            orders.hand_over(s, staff, order, odometer_km=5, now=now, settings=CFG)
        elif action == "return" and order:
            orders.return_car(s, who, order, odometer_km=50, now=now, settings=CFG)
        elif action == "reconcile":
            s.execute(update(PaymentIntent).values(created_at=now - dt.timedelta(minutes=3)))
    if action == "reconcile":  # asks the provider outside any transaction, as the job does
        payment_jobs.reconcile_pending(now=now)


def _check(db):
    with db.reading() as s:
        balanced, _ = ledger.balance(s)
        assert balanced
        live = s.execute(
            select(Order.vehicle_id, func.count())
            .where(Order.status.in_([x.value for x in LIVE]))
            .group_by(Order.vehicle_id)
        ).all()
        assert all(n == 1 for _, n in live), live
        live_by_vehicle = {
            o.vehicle_id: o
            for o in s.scalars(select(Order).where(Order.status.in_([x.value for x in LIVE])))
        }
        for v in s.scalars(select(Vehicle)):
            o = live_by_vehicle.get(v.id)
            expected = {None: {"available", "withdrawn"}}.get(
                o and o.status, {"sold"} if o and o.status == "handed_over" else {"reserved"}
            )
            assert v.status in expected, (v.vin, v.status, o and o.status)
        # what the provider holds for us equals what we took minus what we gave back
        held = sum(
            (
                i.amount - i.refunded
                for i in s.scalars(
                    select(PaymentIntent).where(PaymentIntent.status == IntentStatus.succeeded)
                )
            ),
            Decimal("0.00"),
        )
        assert -ledger.account_balance(s, "provider_clearing:sandbox") == held


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=ACTIONS)
def test_any_sequence_keeps_the_invariants(db, actions):
    database = db
    from motormall.platform.db import use_database

    use_database(database)
    vins, buyers, staff = _world(database)
    sent, clock = [], [utcnow()]
    for action, b, c in actions:
        try:
            _step(database, action, buyers[b], vins[c], staff, sent, clock)
            event(f"done: {action}")
        except DomainError as exc:
            event(f"refused: {exc.code}")  # refusals are fine; the invariants must still hold
        _check(database)
