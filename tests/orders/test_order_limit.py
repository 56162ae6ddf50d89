"""A buyer holds at most MOTORMALL_MAX_LIVE_ORDERS cars (409 `order_limit`), also when the
same buyer's reserves race each other."""

import datetime as dt
import threading

from sqlalchemy import update

from motormall.orders import service
from motormall.orders.models import Order
from motormall.platform.auth import Principal, Role, User
from motormall.platform.config import Settings
from motormall.platform.db import utcnow
from motormall.platform.errors import Conflict
from tests import factories as f
from tests.catalog.test_api import problem
from tests.orders import helpers as h


def test_a_third_hold_is_refused_until_one_ends(client, db):
    net, vins, buyer = h.setup(db, client, n_cars=4)
    first, second = (h.reserve(client, buyer, v) for v in vins[:2])
    assert first.status_code == second.status_code == 201
    body = problem(h.reserve(client, buyer, vins[2]), 409, "order_limit")
    assert body["limit"] == 2
    cancel = client.post(f"/api/v1/orders/{first.json()['id']}/cancel", headers=buyer, json={})
    assert cancel.status_code == 200, cancel.text
    assert h.reserve(client, buyer, vins[2]).status_code == 201
    # a hold that has lapsed (the sweep not yet run) no longer counts
    with db.transaction() as s:
        past = utcnow() - dt.timedelta(minutes=1)
        s.execute(update(Order).where(Order.id == second.json()["id"]).values(expires_at=past))
    assert h.reserve(client, buyer, vins[3]).status_code == 201


def test_the_limit_is_a_setting(db, client, settings):
    net, vins, buyer = h.setup(db, client, n_cars=2)
    with db.transaction() as s:
        user = s.query(User).filter_by(email=net["users"]["customer"]).one()
        who = Principal(user_id=user.id, role=Role.customer, email=user.email)
        one = settings.model_copy(update={"max_live_orders": 1})
        service.reserve(s, who, service.ReserveRequest(vin=vins[0]), now=utcnow(), settings=one)
    try:
        with db.transaction() as s:
            service.reserve(s, who, service.ReserveRequest(vin=vins[1]), now=utcnow(), settings=one)
    except Conflict as exc:
        assert exc.code == "order_limit"
    else:
        raise AssertionError("a second hold passed a limit of one")


def test_one_buyers_parallel_reserves_cannot_pass_the_limit_together(db):
    net = f.network(db)
    vins = f.stock(db, net["dealers"]["SH-1"], net["trims"][0], range(1, 9))
    with db.transaction() as s:
        user = s.query(User).filter_by(email=net["users"]["customer"]).one()
        who = Principal(user_id=user.id, role=Role.customer, email=user.email)
    settings = Settings(secret_key="x", max_live_orders=2)
    wins, refusals, errors = [], [], []
    barrier = threading.Barrier(len(vins))

    def run(vin):
        barrier.wait()
        try:
            with db.transaction() as s:
                req = service.ReserveRequest(vin=vin)
                wins.append(service.reserve(s, who, req, now=utcnow(), settings=settings).id)
        except Conflict as exc:
            refusals.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(exc))

    threads = [threading.Thread(target=run, args=(v,)) for v in vins]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(wins) == 2
    assert refusals == ["order_limit"] * 6
