"""Twelve customers at once for one dealer slot, or for one car: exactly one booking wins, on
SQLite and PostgreSQL, and the database refuses a second row even without the code above."""

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from motormall.platform.auth import Principal, Role, create_user
from motormall.platform.db import utcnow
from motormall.platform.errors import Conflict
from motormall.testdrives import dealer
from motormall.testdrives.models import CarSlot, DealerSlot, TestDrive
from tests import factories as f
from tests.testdrives.dealer_helpers import at


def _customers(db, n):
    with db.transaction() as s:
        users = [
            create_user(s, email=f"c{i}@test.dev", password=f.PASSWORD, role=Role.customer)
            for i in range(n)
        ]
        return [Principal(user_id=u.id, role=Role.customer, email=u.email) for u in users]


def _race(db, who, vins, start):
    wins, losses, errors = [], [], []
    barrier = threading.Barrier(len(who))

    def run(p, vin):
        barrier.wait()
        try:
            with db.transaction() as s:
                wins.append(dealer.book(s, p, vin, start, now=utcnow()).id)
        except Conflict as exc:
            losses.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(exc))

    threads = [threading.Thread(target=run, args=pv) for pv in zip(who, vins, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return wins, losses, errors


def _counts(db):
    """Drives, and the drives holding lanes and cars (an hour's slot holds four ticks)."""
    with db.reading() as s:
        return (
            s.scalar(select(func.count()).select_from(TestDrive)),
            s.scalar(select(func.count(DealerSlot.drive_id.distinct()))),
            s.scalar(select(func.count(CarSlot.drive_id.distinct()))),
        )


def test_twelve_customers_twelve_cars_one_lane_exactly_one_wins(db):
    net = f.network(db)
    vins = f.stock(db, net["dealers"]["SH-1"], net["trims"][0], range(1, 13))
    wins, losses, errors = _race(db, _customers(db, 12), vins, at(10))
    assert errors == []
    assert len(wins) == 1 and losses == ["slot_taken"] * 11
    assert _counts(db) == (1, 1, 1)


def test_twelve_customers_one_car_twelve_lanes_exactly_one_wins(db):
    net = f.network(db)
    vin = f.stock(db, net["dealers"]["SH-1"], net["trims"][0], [1])[0]
    with db.transaction() as s:
        dealer.set_schedule(s, net["dealers"]["SH-1"], slot_minutes=60, lanes=12)
    wins, losses, errors = _race(db, _customers(db, 12), [vin] * 12, at(10))
    assert errors == []
    assert len(wins) == 1 and losses == ["slot_taken"] * 11
    assert _counts(db) == (1, 1, 1)


def test_the_database_refuses_a_second_booking_of_a_lane_or_a_car(db):
    net = f.network(db)
    vins = f.stock(db, net["dealers"]["SH-1"], net["trims"][0], [1, 2])
    who = _customers(db, 1)[0]
    with db.transaction() as s:
        drive = dealer.book(s, who, vins[0], at(10), now=utcnow())
        ids = drive.id, drive.dealer_id, drive.vehicle_id
    slot = at(10).astimezone(dt.UTC)
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.add(DealerSlot(dealer_id=ids[1], slot_start=slot, lane=1, drive_id=ids[0]))
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.add(CarSlot(vehicle_id=ids[2], slot_start=slot, drive_id=ids[0]))
