"""Many customers, one time, a dealer with two bays: never two cars in one bay at once."""

import datetime as dt
import threading

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from motormall.aftersales import service
from motormall.aftersales.models import BaySlot, ServiceAppointment
from motormall.catalog.models import Dealer
from motormall.platform.auth import Principal, Role, User, create_user
from motormall.platform.db import utcnow
from motormall.platform.errors import Conflict
from tests import factories as f
from tests.aftersales.helpers import at


def _customers(db, n):
    with db.transaction() as s:
        users = [
            create_user(s, email=f"c{i}@test.dev", password=f.PASSWORD, role=Role.customer)
            for i in range(n)
        ]
        return [Principal(user_id=u.id, role=Role.customer, email=u.email) for u in users]


def test_twelve_bookings_at_once_fill_two_bays_exactly(db):
    f.network(db)
    with db.transaction() as s:
        s.execute(update(Dealer).where(Dealer.code == "SH-1").values(service_bays=2))
    who = _customers(db, 12)
    wins, losses, errors = [], [], []
    barrier = threading.Barrier(len(who))
    # half want 10:00 (two slots), half 10:30: every pair overlaps in the 10:30 slot
    starts = [at(10) if i % 2 else at(10, 30) for i in range(len(who))]

    def run(p, i, start):
        barrier.wait()
        try:
            with db.transaction() as s:
                req = service.BookRequest(
                    vin=f.vin(100 + i), dealer="SH-1", start=start, kind="maintenance"
                )
                wins.append(service.book(s, p, req, now=utcnow()).id)
        except Conflict as exc:
            losses.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(exc))

    threads = [
        threading.Thread(target=run, args=(p, i, s))
        for i, (p, s) in enumerate(zip(who, starts, strict=True))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(wins) == 2 and losses == ["slot_taken"] * 10
    with db.reading() as s:
        rows = s.execute(select(ServiceAppointment.bay, ServiceAppointment.start_at)).all()
    assert sorted(b for b, _ in rows) == [1, 2]


def test_the_database_refuses_a_second_car_in_a_bay_slot(db):
    f.network(db)
    who = _customers(db, 1)[0]
    with db.transaction() as s:
        appt = service.book(
            s,
            who,
            service.BookRequest(vin=f.vin(1), dealer="SH-1", start=at(10), kind="recall"),
            now=utcnow(),
        )
        dealer_id, appt_id = appt.dealer_id, appt.id
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.add(
            BaySlot(
                dealer_id=dealer_id,
                bay=1,
                slot_start=at(10, 30).astimezone(dt.UTC),
                appointment_id=appt_id,
            )
        )


def test_visits_completing_at_once_never_take_stock_below_zero(db):
    from motormall.aftersales import parts
    from motormall.aftersales.models import PartStock

    net = f.network(db)
    dealer_id = net["dealers"]["SH-1"]
    who = _customers(db, 8)
    with db.transaction() as s:
        parts.put_part(s, "BP-1", name="Brake pads", model_id=None)
        parts.set_stock(s, dealer_id, "BP-1", on_hand=3, reorder_level=0)
        staff_id = s.scalar(select(User.id).where(User.email == net["users"]["staff"]))
        ids = [
            service.book(
                s,
                p,
                service.BookRequest(
                    vin=f.vin(200 + i), dealer="SH-1", start=at(9 + i), kind="maintenance"
                ),
                now=utcnow(),
            ).id
            for i, p in enumerate(who)
        ]
    staff = Principal(user_id=staff_id, role=Role.dealer_staff, email="s", dealer_id=dealer_id)
    done, refused, errors = [], [], []
    barrier = threading.Barrier(len(ids))

    def run(appointment_id):
        barrier.wait()
        try:
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
                done.append(appointment_id)
        except Conflict as exc:
            refused.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(exc))

    threads = [threading.Thread(target=run, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(done) == 3 and refused == ["part_out_of_stock"] * 5
    with db.reading() as s:
        assert s.scalar(select(PartStock.on_hand)) == 0
