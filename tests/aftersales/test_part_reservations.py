"""Parts reserved ahead of a visit: counted against what is available, given back on
cancel, consumed on completion; raced, stock never goes negative nor below what is promised."""

import threading

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from motormall.aftersales import parts, service
from motormall.aftersales.models import PartStock
from motormall.platform.auth import Principal, Role, User, create_user
from motormall.platform.db import utcnow
from motormall.platform.errors import Conflict
from tests import factories as f
from tests.aftersales.helpers import at, book
from tests.catalog.test_api import problem


def _stock(db, dealer_id, on_hand, part_no="BP-1"):
    with db.transaction() as s:
        parts.put_part(s, part_no, name="Brake pads", model_id=None)
        parts.set_stock(s, dealer_id, part_no, on_hand=on_hand, reorder_level=1)


def _row(db, part_no="BP-1"):
    with db.reading() as s:
        row = s.scalar(select(PartStock).where(PartStock.part_no == part_no))
        return row.on_hand, row.reserved


def test_reserve_counts_against_available_release_on_cancel_consume_on_complete(client, db):
    net = f.network(db)
    _stock(db, net["dealers"]["SH-1"], 3)
    buyer = f.token(client, net["users"]["customer"])
    staff = f.token(client, net["users"]["staff"])
    a = book(client, buyer, start=at(10), serial=901).json()
    b = book(client, buyer, start=at(10), serial=902).json()
    url = "/api/v1/service-appointments/{}/parts/BP-1"
    r = client.put(url.format(a["id"]), json={"qty": 2}, headers=staff)
    assert r.status_code == 200, r.text
    assert [(i["part_no"], i["qty"], i["status"]) for i in r.json()["items"]] == [
        ("BP-1", 2, "held")
    ]
    assert _row(db) == (3, 2)
    (item,) = client.get("/api/v1/dealer/parts", headers=staff).json()["items"]
    assert (item["on_hand"], item["reserved"], item["available"], item["low"]) == (3, 2, 1, True)
    problem(
        client.put(url.format(b["id"]), json={"qty": 2}, headers=staff), 409, "part_out_of_stock"
    )
    assert client.put(url.format(b["id"]), json={"qty": 1}, headers=staff).status_code == 200
    assert _row(db) == (3, 3)
    # a count below what is promised is refused; a visit with nothing reserved cannot take any
    r = client.put("/api/v1/dealer/parts/BP-1/stock", json={"on_hand": 2}, headers=staff)
    problem(r, 409, "stock_below_reserved")
    c = book(client, buyer, start=at(12), serial=903).json()
    done = {"odometer_km": 1, "work": "Brakes", "parts": [{"part_no": "BP-1", "qty": 1}]}
    complete = "/api/v1/service-appointments/{}/complete"
    problem(
        client.post(complete.format(c["id"]), json=done, headers=staff), 409, "part_out_of_stock"
    )
    # cancelling b gives its part back; completing a takes what it used and frees the rest
    client.post(f"/api/v1/service-appointments/{b['id']}/cancel", headers=buyer)
    assert _row(db) == (3, 2)
    r = client.post(complete.format(a["id"]), json=done, headers=staff)
    assert r.status_code == 200, r.text
    assert _row(db) == (2, 0)
    got = client.get(f"/api/v1/service-appointments/{a['id']}/parts", headers=staff).json()
    assert [i["status"] for i in got["items"]] == ["consumed"]
    # completing again takes nothing a second time
    assert client.post(complete.format(a["id"]), json=done, headers=staff).status_code == 200
    assert _row(db) == (2, 0)
    assert client.get("/api/v1/dealer/parts/reservations", headers=staff).json()["items"] == []
    other = f.token(client, net["users"]["other_manager"])
    problem(client.put(url.format(c["id"]), json={"qty": 1}, headers=other), 404, "not_found")


def test_the_database_refuses_more_reserved_than_on_hand(db):
    net = f.network(db)
    _stock(db, net["dealers"]["SH-1"], 2)
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.execute(update(PartStock).values(reserved=3))
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.execute(update(PartStock).values(reserved=-1))


def _visits(db, n, dealer_id):
    with db.transaction() as s:
        users = [
            create_user(s, email=f"r{i}@test.dev", password=f.PASSWORD, role=Role.customer)
            for i in range(n)
        ]
        who = [Principal(user_id=u.id, role=Role.customer, email=u.email) for u in users]
        ids = [
            service.book(
                s,
                p,
                service.BookRequest(
                    vin=f.vin(400 + i), dealer="SH-1", start=at(9 + i % 8), kind="maintenance"
                ),
                now=utcnow(),
            ).id
            for i, p in enumerate(who)
        ]
        staff_id = s.scalar(select(User.id).where(User.role == Role.dealer_staff))
    staff = Principal(user_id=staff_id, role=Role.dealer_staff, email="s", dealer_id=dealer_id)
    return ids, staff


def _race(fns):
    ok, refused, errors = [], [], []
    barrier = threading.Barrier(len(fns))

    def run(i, fn):
        barrier.wait()
        try:
            fn()
            ok.append(i)
        except Conflict as exc:
            refused.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(exc))

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return ok, refused


def test_reservations_and_unreserved_visits_racing_never_overdraw(db):
    net = f.network(db)
    dealer_id = net["dealers"]["SH-1"]
    _stock(db, dealer_id, 4)
    ids, staff = _visits(db, 8, dealer_id)

    def reserve(appointment_id):
        def go():
            with db.transaction() as s:
                service.reserve_part(s, staff, appointment_id, "BP-1", 1, now=utcnow())

        return go

    # 8 visits reserve one each from 4 on hand: exactly 4 are held
    ok, refused = _race([reserve(i) for i in ids])
    assert len(ok) == 4 and refused == ["part_out_of_stock"] * 4
    assert _row(db) == (4, 4)
    held = [ids[i] for i in ok]
    bare = [ids[i] for i in range(8) if i not in ok]

    def complete(appointment_id):
        def go():
            with db.transaction() as s:
                service.complete(
                    s,
                    staff,
                    appointment_id,
                    odometer_km=1,
                    work="Brakes",
                    parts=[service.PartUsed(part_no="BP-1", qty=1)],
                    now=utcnow(),
                )

        return go

    # the reserved visits complete while the others try to take parts that are all promised
    ok, refused = _race([complete(i) for i in held + bare])
    assert sorted(ok) == [0, 1, 2, 3] and refused == ["part_out_of_stock"] * 4
    assert _row(db) == (0, 0)
