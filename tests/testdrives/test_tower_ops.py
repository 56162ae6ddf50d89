"""At the tower after release: return, the overdue chase, buying the car from the drive, and
the tower's day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from motormall.catalog.models import Vehicle
from motormall.notifications.models import Notification
from motormall.orders.models import Order
from motormall.platform.audit import AuditEntry
from motormall.platform.db import utcnow
from motormall.testdrives import tower
from motormall.testdrives.models import TestDrive
from tests import factories as f
from tests.testdrives import helpers as h


def out_drive(db, email, vin, *, ends_at=None) -> str:
    """A tower drive already released (the release itself is tested with faces elsewhere)."""
    now = utcnow()
    with db.transaction() as s:
        from motormall.platform.auth import User

        uid = s.scalar(select(User.id).where(User.email == email))
        v = s.scalar(select(Vehicle).where(Vehicle.vin == vin))
        s.execute(update(Vehicle).where(Vehicle.id == v.id).values(status="test_drive"))
        drive = TestDrive(
            code=f"OUT{v.id:05d}",
            kind="tower",
            status="out",
            customer_id=uid,
            vehicle_id=v.id,
            vin=v.vin,
            brand_id=v.brand_id,
            model_id=v.model_id,
            dealer_id=v.dealer_id,
            tower_id=v.tower_id,
            start_at=now - dt.timedelta(hours=2),
            ends_at=ends_at or now + dt.timedelta(days=3),
            out_at=now - dt.timedelta(hours=1),
            challenge="turn_left",
            mismatches=0,
            overdue_stage=0,
            created_at=now,
        )
        s.add(drive)
        s.flush()
        return drive.id


def _vehicle(db, vin) -> Vehicle:
    with db.reading() as s:
        return s.scalar(select(Vehicle).where(Vehicle.vin == vin))


def _drive(db, drive_id) -> TestDrive:
    with db.reading() as s:
        return s.get(TestDrive, drive_id)


def test_the_tower_takes_the_car_back(db, client):
    _, vins, _ = h.tower_network(db)
    buyer = h.customer(db, client, "ret@test.dev")
    drive_id = out_drive(db, "ret@test.dev", vins[0])
    kiosk = f.token(client, "kiosk@test.dev")

    r = client.post(
        f"/api/v1/test-drives/{drive_id}/return", json={"odometer_km": 312}, headers=buyer
    )
    assert r.status_code == 404  # the customer does not check the car in; the tower does
    r = client.post(
        f"/api/v1/test-drives/{drive_id}/return", json={"odometer_km": -1}, headers=kiosk
    )
    assert r.status_code == 422
    r = client.post(
        f"/api/v1/test-drives/{drive_id}/return", json={"odometer_km": 312}, headers=kiosk
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "returned" and r.json()["odometer_in_km"] == 312
    car = _vehicle(db, vins[0])
    assert car.status == "available" and car.bay == 1  # for sale again, in its own bay
    again = client.post(
        f"/api/v1/test-drives/{drive_id}/return", json={"odometer_km": 312}, headers=kiosk
    )
    assert again.status_code == 200 and again.json()["returned_at"] == r.json()["returned_at"]


def test_another_towers_device_cannot_return_the_car(db, client):
    net, vins, _ = h.tower_network(db)
    h.customer(db, client, "elsewhere@test.dev")
    drive_id = out_drive(db, "elsewhere@test.dev", vins[0])
    from motormall.catalog import schemas, service
    from motormall.platform.auth import Role, create_user

    with db.transaction() as s:
        t2 = service.create_tower(
            s,
            schemas.TowerIn(code="TWR-NJ1", city="Nanjing", lat=32.0, lon=118.8, bays=2),
            actor_id=None,
        )
        create_user(
            s, email="kiosk2@test.dev", password=f.PASSWORD, role=Role.tower, tower_id=t2.id
        )
    r = client.post(
        f"/api/v1/test-drives/{drive_id}/return",
        json={"odometer_km": 10},
        headers=f.token(client, "kiosk2@test.dev"),
    )
    assert r.status_code == 404
    assert _vehicle(db, vins[0]).status == "test_drive"


def test_the_overdue_chase_tells_the_customer_then_the_carmaker_then_charges(db, client):
    _, vins, _ = h.tower_network(db)
    h.customer(db, client, "late@test.dev")
    ends = dt.datetime(2030, 5, 1, 10, 0, tzinfo=dt.UTC)
    drive_id = out_drive(db, "late@test.dev", vins[0], ends_at=ends)

    def run(at):
        with db.transaction() as s:
            return tower.chase_overdue(s, now=at)

    assert run(ends - dt.timedelta(minutes=1)) == 0
    assert run(ends + dt.timedelta(hours=2)) == 1
    assert _drive(db, drive_id).overdue_stage == 1
    with db.reading() as s:
        notes = s.scalars(
            select(Notification).where(Notification.kind == "test_drive_overdue")
        ).all()
        assert len(notes) == 1 and notes[0].params["vin"] == vins[0]
    assert run(ends + dt.timedelta(hours=3)) == 0  # told once
    run(ends + dt.timedelta(hours=30))
    assert _drive(db, drive_id).overdue_stage == 2
    with db.reading() as s:
        reported = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "test_drive.overdue_reported")
        ).all()
        assert [a.entity_id for a in reported] == [drive_id]
    run(ends + dt.timedelta(days=2, hours=1))  # three started days late
    assert _drive(db, drive_id).overdue_fee == Decimal("900.00")
    run(ends + dt.timedelta(days=3, hours=1))
    assert _drive(db, drive_id).overdue_fee == Decimal("1200.00")
    with db.reading() as s:
        notes = s.scalars(
            select(Notification).where(Notification.kind == "test_drive_overdue")
        ).all()
        assert len(notes) == 1


def test_the_periodic_job_runs_the_chase(db, client):
    _, vins, _ = h.tower_network(db)
    h.customer(db, client, "job@test.dev")
    drive_id = out_drive(db, "job@test.dev", vins[0], ends_at=utcnow() - dt.timedelta(hours=1))
    from motormall.platform import jobs

    jobs.by_name("testdrives.chase_overdue")()  # huey runs it inline in tests
    assert _drive(db, drive_id).overdue_stage == 1


def test_a_booking_never_collected_lapses_and_frees_the_car(db, client):
    _, vins, _ = h.tower_network(db)
    h.customer(db, client, "ghost@test.dev")
    drive_id = out_drive(db, "ghost@test.dev", vins[0])
    with db.transaction() as s:
        s.execute(
            update(TestDrive).where(TestDrive.id == drive_id).values(status="booked", out_at=None)
        )
    with db.transaction() as s:
        tower.chase_overdue(s, now=utcnow() + dt.timedelta(days=4))
    assert _drive(db, drive_id).status == "no_show"
    assert _vehicle(db, vins[0]).status == "available"


def test_buying_the_car_from_the_drive_keeps_it_held(db, client):
    _, vins, _ = h.tower_network(db)
    buyer = h.customer(db, client, "buy@test.dev")
    drive_id = out_drive(db, "buy@test.dev", vins[0])
    stranger = h.customer(db, client, "stranger@test.dev")
    r = client.post(f"/api/v1/test-drives/{drive_id}/purchase", headers=stranger)
    assert r.status_code == 404

    r = client.post(
        f"/api/v1/test-drives/{drive_id}/purchase", headers={**buyer, "Idempotency-Key": "k1"}
    )
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["status"] == "reserved" and order["vin"] == vins[0]
    assert order["test_drive_id"] == drive_id
    assert _vehicle(db, vins[0]).status == "reserved"
    drive = _drive(db, drive_id)
    assert drive.status == "purchased" and drive.order_id == order["id"]
    with db.reading() as s:
        assert (
            s.scalar(select(Order.vehicle_id).where(Order.id == order["id"]))
            == _vehicle(db, vins[0]).id
        )

    again = client.post(
        f"/api/v1/test-drives/{drive_id}/purchase", headers={**buyer, "Idempotency-Key": "k1"}
    )
    assert again.status_code == 201 and again.json()["id"] == order["id"]
    plain = client.post(f"/api/v1/test-drives/{drive_id}/purchase", headers=buyer)
    assert plain.status_code == 201 and plain.json()["id"] == order["id"]
    # nobody else can reserve it meanwhile
    r = client.post("/api/v1/orders", json={"vin": vins[0]}, headers=stranger)
    assert r.status_code == 409 and r.json()["code"] == "vehicle_unavailable"


def test_a_drive_not_out_cannot_be_bought(db, client):
    _, vins, _ = h.tower_network(db)
    buyer = h.customer(db, client, "early@test.dev")
    drive_id = out_drive(db, "early@test.dev", vins[0])
    with db.transaction() as s:
        s.execute(update(TestDrive).where(TestDrive.id == drive_id).values(status="booked"))
    r = client.post(f"/api/v1/test-drives/{drive_id}/purchase", headers=buyer)
    assert r.status_code == 409 and r.json()["code"] == "not_out"
    assert _vehicle(db, vins[0]).status == "test_drive"


def test_the_towers_day_lists_pickups_returns_and_overdue(db, client):
    net, vins, _ = h.tower_network(db)
    h.customer(db, client, "day1@test.dev")
    h.customer(db, client, "day2@test.dev")
    late = out_drive(db, "day1@test.dev", vins[0], ends_at=utcnow() - dt.timedelta(hours=3))
    soon = out_drive(db, "day2@test.dev", vins[1])
    kiosk = f.token(client, "kiosk@test.dev")
    # the local day (Asia/Shanghai) on which `soon` was collected, two hours ago: asking for
    # "today" would miss it in the first two hours after local midnight
    day = (utcnow() - dt.timedelta(hours=2)).astimezone(ZoneInfo("Asia/Shanghai")).date()
    r = client.get(f"/api/v1/towers/TWR-SH1/day?date={day}", headers=kiosk)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [d["id"] for d in body["overdue"]] == [late]
    assert soon in [d["id"] for d in body["pickups"]] and body["overdue"][0]["bay"] == 1
    # the carmaker and an assigned dealer see it; a dealer not assigned and a customer do not
    assert (
        client.get(
            "/api/v1/towers/TWR-SH1/day", headers=f.token(client, net["users"]["admin"])
        ).status_code
        == 200
    )
    assert (
        client.get(
            "/api/v1/towers/TWR-SH1/day", headers=f.token(client, net["users"]["manager"])
        ).status_code
        == 200
    )
    from motormall.platform.auth import Role, create_user

    with db.transaction() as s:
        create_user(
            s,
            email="nj@test.dev",
            password=f.PASSWORD,
            role=Role.dealer_staff,
            dealer_id=net["dealers"]["NJ-1"],
        )
    assert (
        client.get("/api/v1/towers/TWR-SH1/day", headers=f.token(client, "nj@test.dev")).status_code
        == 404
    )
    assert (
        client.get(
            "/api/v1/towers/TWR-SH1/day", headers=f.token(client, "day1@test.dev")
        ).status_code
        == 404
    )


def test_the_chase_follows_the_carmakers_policy(db, client):
    """The carmaker tells itself after 6 hours and charges 150.00 a day after 12."""
    _, vins, _ = h.tower_network(db)
    h.customer(db, client, "policy@test.dev")
    admin = f.token(client, "admin@test.dev")
    changes = {
        "tower_report_after_hours": 6,
        "tower_charge_after_hours": 12,
        "tower_late_fee_per_day": "150.00",
    }
    r = client.put("/api/v1/admin/test-drives/policy", json=changes, headers=admin)
    assert r.status_code == 200, r.text
    assert {k: r.json()[k] for k in changes} == changes
    ends = dt.datetime(2030, 5, 1, 10, 0, tzinfo=dt.UTC)
    drive_id = out_drive(db, "policy@test.dev", vins[0], ends_at=ends)
    with db.transaction() as s:
        tower.chase_overdue(s, now=ends + dt.timedelta(hours=7))
    assert _drive(db, drive_id).overdue_stage == 2
    with db.transaction() as s:
        tower.chase_overdue(s, now=ends + dt.timedelta(hours=13))
    assert _drive(db, drive_id).overdue_fee == Decimal("150.00")  # one started day

    bad = {"tower_charge_after_hours": 3}  # a fee before the carmaker is even told
    r = client.put("/api/v1/admin/test-drives/policy", json=bad, headers=admin)
    assert r.status_code == 422 and r.json()["code"] == "policy_invalid"
    for fee in ("-1.00", "10000.01", "abc"):
        r = client.put(
            "/api/v1/admin/test-drives/policy",
            json={"tower_late_fee_per_day": fee},
            headers=admin,
        )
        assert r.status_code == 422, (fee, r.text)
