"""Reminders through the outbox: queued after commit for the day before, never at a time
the appointment no longer has; maintenance due by time or mileage, once per period."""

import datetime as dt

from sqlalchemy import select, update

from motormall.aftersales import reminders, rules
from motormall.aftersales.models import ServiceAppointment
from motormall.notifications.models import Notification
from motormall.orders.models import Order
from motormall.platform import jobs
from motormall.platform.db import utcnow
from tests import factories as f
from tests.aftersales.helpers import at, book
from tests.membership.test_memberships_api import _buy
from tests.orders import helpers as oh


def _queued(appointment_id):
    """The reminder jobs huey holds for an appointment: (start argument, eta)."""
    return sorted(
        (t.args[1], t.eta)
        for t in jobs.huey.scheduled()
        if t.name == "aftersales.remind" and t.args[0] == appointment_id
    )


def _reminders(db):
    with db.reading() as s:
        return s.scalars(select(Notification).where(Notification.kind == "service_reminder")).all()


def _remind(db, appointment_id, start):
    with db.transaction() as s:
        return reminders.remind(s, appointment_id, start, now=utcnow())


def test_booking_queues_a_reminder_for_the_day_before_and_it_is_sent_once(client, db):
    net = f.network(db)
    buyer = f.token(client, net["users"]["customer"])
    appt = book(client, buyer, start=at(10)).json()
    ((start, eta),) = _queued(appt["id"])
    assert start == appt["start"]
    due = at(10).astimezone(dt.UTC) - dt.timedelta(days=1)
    assert abs(eta.replace(tzinfo=dt.UTC) - due) < dt.timedelta(minutes=1)
    assert _remind(db, appt["id"], at(10)) is True
    assert _remind(db, appt["id"], at(10)) is False  # a job run twice sends once
    (note,) = _reminders(db)
    assert note.params["dealer"] == "Dealer SH-1" and note.params["when"].endswith("10:00")
    assert note.link == "/me/service"


def test_a_moved_or_cancelled_appointment_is_not_reminded_at_its_old_time(client, db):
    net = f.network(db)
    buyer = f.token(client, net["users"]["customer"])
    appt = book(client, buyer, start=at(10)).json()
    r = client.post(
        f"/api/v1/service-appointments/{appt['id']}/reschedule",
        json={"start": at(11, ahead=8).isoformat()},
        headers=buyer,
    )
    assert r.status_code == 200
    assert [s for s, _ in _queued(appt["id"])] == sorted([appt["start"], r.json()["start"]])
    assert _remind(db, appt["id"], at(10)) is False  # the old time's job does nothing
    assert _reminders(db) == []
    client.post(f"/api/v1/service-appointments/{appt['id']}/cancel", headers=buyer)
    assert _remind(db, appt["id"], at(11, ahead=8)) is False
    assert _reminders(db) == []


def test_a_booking_made_less_than_a_day_ahead_gets_no_reminder():
    now = dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC)
    assert rules.reminder_at(now + dt.timedelta(hours=30), now=now) == now + dt.timedelta(hours=6)
    assert rules.reminder_at(now + dt.timedelta(hours=23), now=now) is None


def _visit(client, db, net, *, kind, km, days_ago, serial=900):
    buyer = f.token(client, net["users"]["customer"])
    staff = f.token(client, net["users"]["staff"])
    appt = book(client, buyer, start=at(10), kind=kind, serial=serial).json()
    done = {"odometer_km": km, "work": "Work", "parts": []}
    r = client.post(f"/api/v1/service-appointments/{appt['id']}/complete", json=done, headers=staff)
    assert r.status_code == 200, r.text
    with db.transaction() as s:
        s.execute(
            update(ServiceAppointment)
            .where(ServiceAppointment.id == appt["id"])
            .values(completed_at=utcnow() - dt.timedelta(days=days_ago))
        )
    return appt


def _due(db, now=None):
    with db.transaction() as s:
        return reminders.send_maintenance_due(s, now=now or utcnow())


def _due_notes(db):
    with db.reading() as s:
        return s.scalars(
            select(Notification).where(Notification.kind.like("maintenance_due_%"))
        ).all()


def test_maintenance_due_by_time_once_per_period(client, db):
    net = f.network(db)
    _visit(client, db, net, kind="maintenance", km=20_000, days_ago=300)
    assert _due(db) == 0  # not a year yet
    assert _due(db, utcnow() + dt.timedelta(days=70)) == 1
    assert _due(db, utcnow() + dt.timedelta(days=71)) == 0  # once per period
    (note,) = _due_notes(db)
    assert note.kind == "maintenance_due_time" and note.params["vin"] == f.vin(900)


def test_maintenance_due_by_the_odometer_last_seen(client, db):
    net = f.network(db)
    _visit(client, db, net, kind="maintenance", km=20_000, days_ago=100, serial=900)
    _visit(client, db, net, kind="repair", km=29_000, days_ago=50, serial=900)
    assert _due(db) == 0
    _visit(client, db, net, kind="repair", km=30_500, days_ago=10, serial=900)
    assert _due(db) == 1
    (note,) = _due_notes(db)
    assert note.kind == "maintenance_due_mileage" and note.params["km"] == "10,500"
    # a new maintenance visit starts a new period: nothing due again yet
    _visit(client, db, net, kind="maintenance", km=30_600, days_ago=1, serial=900)
    assert _due(db) == 0


def test_maintenance_due_counts_from_the_handover_and_skips_a_booked_visit(client, db):
    net, vins, buyer = oh.setup(db, client)
    order = _buy(client, db, net, buyer, vins[0])
    assert _due(db) == 0
    with db.transaction() as s:
        s.execute(
            update(Order)
            .where(Order.id == order["id"])
            .values(handed_over_at=utcnow() - dt.timedelta(days=366))
        )
    booked = book(client, buyer, start=at(10), serial=1).json()  # serial 1 is vins[0]
    assert booked["vin"] == vins[0]
    assert _due(db) == 0  # a maintenance visit is already booked
    client.post(f"/api/v1/service-appointments/{booked['id']}/cancel", headers=buyer)
    assert _due(db) == 1
    (note,) = _due_notes(db)
    assert note.params["vin"] == vins[0]
    with db.reading() as s:
        assert note.customer_id == s.get(Order, order["id"]).customer_id
