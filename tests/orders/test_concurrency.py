"""Two buyers, one car, exactly one order: threads racing on SQLite and PostgreSQL."""

import random
import threading

from sqlalchemy import func, select

from motormall.catalog.models import Vehicle
from motormall.orders import service
from motormall.orders.models import Order
from motormall.orders.rules import LIVE
from motormall.platform.auth import Principal, Role, User
from motormall.platform.config import Settings
from motormall.platform.db import utcnow
from motormall.platform.errors import Conflict
from tests import factories as f


def _buyers(db, n):
    from motormall.platform.auth import create_user

    with db.transaction() as s:
        users = [
            create_user(s, email=f"b{i}@test.dev", password=f.PASSWORD, role=Role.customer)
            for i in range(n)
        ]
        return [Principal(user_id=u.id, role=Role.customer, email=u.email) for u in users]


def _race(db, buyers, vins, settings):
    wins, losses, errors = [], [], []
    barrier = threading.Barrier(len(buyers))
    rng = random.Random(7)
    picks = [rng.choice(vins) for _ in buyers]

    def run(who, vin):
        barrier.wait()
        try:
            with db.transaction() as s:
                order = service.reserve(
                    s, who, service.ReserveRequest(vin=vin), now=utcnow(), settings=settings
                )
                wins.append((vin, order.id))
        except Conflict as exc:
            losses.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(exc))

    threads = [
        threading.Thread(target=run, args=(b, v)) for b, v in zip(buyers, picks, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return wins, losses, errors, picks


def test_sixteen_buyers_one_car_exactly_one_order(db):
    net = f.network(db)
    vins = f.stock(db, net["dealers"]["SH-1"], net["trims"][0], [1])
    buyers = _buyers(db, 16)
    wins, losses, errors, _ = _race(db, buyers, vins, Settings(secret_key="x"))
    assert errors == []
    assert len(wins) == 1 and losses == ["vehicle_unavailable"] * 15
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(Order)) == 1


def test_many_buyers_few_cars_no_car_held_twice(db):
    net = f.network(db)
    vins = f.stock(db, net["dealers"]["SH-1"], net["trims"][0], range(1, 5))
    buyers = _buyers(db, 24)
    wins, losses, errors, picks = _race(db, buyers, vins, Settings(secret_key="x"))
    assert errors == []
    assert len(wins) == len(set(picks))  # every car someone wanted went to exactly one buyer
    assert len(wins) + len(losses) == 24
    with db.reading() as s:
        live = s.execute(
            select(Order.vin, func.count())
            .where(Order.status.in_([x.value for x in LIVE]))
            .group_by(Order.vin)
        ).all()
    assert all(n == 1 for _, n in live) and len(live) == len(wins)


def test_the_database_refuses_a_second_live_order_for_a_vehicle(db):
    """The partial unique index stands behind the service's check."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    net = f.network(db)
    f.stock(db, net["dealers"]["SH-1"], net["trims"][0], [1])
    with db.transaction() as s:
        user = s.scalar(select(User))
        vehicle_id = s.scalar(select(Vehicle.id))
    row = dict(
        customer_id=user.id,
        vehicle_id=vehicle_id,
        vin=f.vin(1),
        status="reserved",
        product="cash",
        price=1,
        deposit=1,
        currency="CNY",
        credited_dealer_id=net["dealers"]["SH-1"],
        credit_reason="test",
    )
    with db.transaction() as s:
        s.add(Order(**row))
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.add(Order(**{**row, "status": "paid"}))
    with db.transaction() as s:  # an ended order does not count
        s.add(Order(**{**row, "status": "cancelled"}))
