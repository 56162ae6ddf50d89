"""Dealer test drives over HTTP: free slots and their bounds, booking rules, rescheduling,
check-out and check-in, no-shows, dealer isolation, the lead the booking joins, replays."""

import datetime as dt

from sqlalchemy import func, select

from motormall.catalog.models import Vehicle
from motormall.leads.models import Lead, LeadEvent
from motormall.membership.models import PointsEntry
from motormall.platform.events import DomainEvent
from motormall.testdrives.models import CarSlot, DealerSlot, TestDrive
from tests import factories as f
from tests.testdrives.dealer_helpers import arrive, at, book, customer, day, iso, setup, slots


def _starts(r):
    assert r.status_code == 200, r.text
    return [s["start"] for s in r.json()["items"]]


def _status(db, vin):
    with db.reading() as s:
        return s.scalar(select(Vehicle.status).where(Vehicle.vin == vin))


def _problem(r, status, code):
    assert (r.status_code, r.json().get("code")) == (status, code), r.text


def test_free_slots_fill_the_opening_hours_and_a_booked_one_leaves(client, db):
    _, vins, h = setup(client, db)
    before = slots(client, vins[0]).json()["items"]
    assert [s["start"] for s in before] == [iso(at(hour)) for hour in range(9, 18)]
    assert before[0]["end"] == iso(at(10))  # hour-long slots by default

    r = book(client, h["customer"], vins[0], at(10))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "booked" and body["kind"] == "dealer" and body["dealer"] == "SH-1"
    assert body["ends_at"] == iso(at(11)) and len(body["code"]) == 8
    # one lane: 10:00 is gone for every car, and for the dealer as a whole
    assert iso(at(10)) not in _starts(slots(client, vins[0]))
    assert iso(at(10)) not in _starts(slots(client, vins[1]))
    assert iso(at(10)) not in _starts(slots(client))
    _problem(book(client, h["customer"], vins[1], at(10)), 409, "slot_taken")


def test_with_two_lanes_another_car_may_take_the_slot_but_not_the_same_car(client, db):
    _, vins, h = setup(client, db)
    manager = f.token(client, "manager@test.dev")
    r = client.put(
        "/api/v1/dealer/test-drive-schedule", json={"slot_minutes": 30, "lanes": 2}, headers=manager
    )
    assert r.json() == {"slot_minutes": 30, "lanes": 2}
    staff_put = client.put(
        "/api/v1/dealer/test-drive-schedule",
        json={"slot_minutes": 30, "lanes": 2},
        headers=h["staff"],
    )
    assert staff_put.status_code == 403  # the manager sets the schedule
    assert len(_starts(slots(client))) == 18  # half-hour slots 09:00-17:30
    assert book(client, h["customer"], vins[0], at(10, 30)).status_code == 201
    assert iso(at(10, 30)) not in _starts(slots(client, vins[0]))
    assert iso(at(10, 30)) in _starts(slots(client, vins[1]))
    _problem(book(client, h["customer"], vins[0], at(10, 30)), 409, "slot_taken")
    assert book(client, h["customer"], vins[1], at(10, 30)).status_code == 201
    _problem(book(client, h["customer"], vins[2], at(10, 30)), 409, "slot_taken")  # lanes full


def test_slot_list_bounds(client, db):
    net, vins, _ = setup(client, db)
    other = f.stock(db, net["dealers"]["SH-2"], net["trims"][0], [50])[0]
    towered = f.stock(db, net["dealers"]["SH-1"], net["trims"][0], [60], tower_id=net["tower"])[0]
    _problem(slots(client, dealer="XX-9"), 404, "dealer_not_found")
    _problem(slots(client, other), 404, "vehicle_not_found")  # SH-2's car, asked at SH-1
    _problem(slots(client, f.vin(999)), 404, "vehicle_not_found")
    _problem(slots(client, towered), 422, "vehicle_at_tower")
    _problem(slots(client, "NOT-A-VIN"), 422, "invalid_vin")
    _problem(slots(client, date=day(61)), 422, "date_too_far_ahead")
    assert _starts(slots(client, date=day(60)))  # the last bookable day
    assert _starts(slots(client, date=day(-1))) == []  # past slots are never offered
    assert client.get("/api/v1/dealers/SH-1/test-drive-slots?date=soon").status_code == 422
    # a car that is not available has no free slots
    f.stock(db, net["dealers"]["SH-1"], net["trims"][0], [70], status="reserved")
    assert _starts(slots(client, f.vin(70))) == []


def test_booking_rules(client, db):
    net, vins, h = setup(client, db)
    customer = h["customer"]
    cases = [
        (at(10, ahead=-1), "slot_in_past"),
        (at(8), "outside_opening_hours"),
        (at(18), "outside_opening_hours"),  # the slot would end after closing
        (at(10, 30), "outside_opening_hours"),  # off the hour grid
        (at(10, ahead=61), "date_too_far_ahead"),
    ]
    for start, code in cases:
        _problem(book(client, customer, vins[0], start), 422, code)
    reserved = f.stock(db, net["dealers"]["SH-1"], net["trims"][0], [80], status="reserved")[0]
    sold = f.stock(db, net["dealers"]["SH-1"], net["trims"][0], [81], status="sold")[0]
    towered = f.stock(db, net["dealers"]["SH-1"], net["trims"][0], [82], tower_id=net["tower"])[0]
    _problem(book(client, customer, reserved, at(10)), 409, "vehicle_unavailable")
    _problem(book(client, customer, sold, at(10)), 409, "vehicle_unavailable")
    _problem(book(client, customer, towered, at(10)), 422, "vehicle_at_tower")
    _problem(book(client, customer, f.vin(998), at(10)), 404, "vehicle_not_found")
    _problem(book(client, h["staff"], vins[0], at(10)), 403, "role_not_allowed")
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(TestDrive)) == 0
        assert s.scalar(select(func.count()).select_from(CarSlot)) == 0


def test_the_booking_opens_a_lead_with_the_cars_dealer(client, db):
    net, vins, h = setup(client, db)
    drive = book(client, h["customer"], vins[0], at(10)).json()
    with db.reading() as s:
        lead = s.get(Lead, drive["lead_id"])
        assert lead.channel == "test_drive" and lead.status == "test_drive_booked"
        assert lead.dealer_id == net["dealers"]["SH-1"] and lead.vin == vins[0]
        assert lead.first_contact_at is None  # the customer booked; nobody has called yet
        kinds = s.scalars(select(LeadEvent.type).where(LeadEvent.lead_id == lead.id)).all()
        assert kinds == ["test_drive_booked"]
    # a second drive with the same dealer joins that lead instead of opening another
    again = book(client, h["customer"], vins[1], at(11)).json()
    assert again["lead_id"] == drive["lead_id"]
    inbox = client.get("/api/v1/dealer/leads", headers=h["staff"]).json()["items"]
    assert [x["id"] for x in inbox] == [drive["lead_id"]]


def test_the_booking_joins_the_open_lead_the_customer_already_has(client, db):
    _, vins, h = setup(client, db)
    asked = client.post(
        "/api/v1/leads", json={"channel": "web", "vin": vins[0]}, headers=h["customer"]
    ).json()
    assert asked["dealer_code"] == "SH-1" and asked["status"] == "new"
    drive = book(client, h["customer"], vins[0], at(10)).json()
    assert drive["lead_id"] == asked["id"]
    lead = client.get(f"/api/v1/leads/{asked['id']}", headers=h["customer"]).json()
    assert lead["status"] == "test_drive_booked"
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(Lead)) == 1


def test_reschedule_takes_the_new_slot_and_frees_the_old(client, db):
    _, vins, h = setup(client, db)
    drive = book(client, h["customer"], vins[0], at(10)).json()
    url = f"/api/v1/test-drives/{drive['id']}/reschedule"
    r = client.post(url, json={"start": at(14).isoformat()}, headers=h["customer"])
    assert r.status_code == 200, r.text
    assert r.json()["start"] == iso(at(14)) and r.json()["ends_at"] == iso(at(15))
    free = _starts(slots(client, vins[0]))
    assert iso(at(10)) in free and iso(at(14)) not in free
    # the same move again changes nothing
    again = client.post(url, json={"start": at(14).isoformat()}, headers=h["customer"])
    assert again.status_code == 200 and again.json()["start"] == iso(at(14))
    # a taken slot: refused, and the booking stays where it was
    assert book(client, h["customer"], vins[1], at(16)).status_code == 201
    lost = client.post(url, json={"start": at(16).isoformat()}, headers=h["customer"])
    _problem(lost, 409, "slot_taken")
    assert iso(at(15)) in _starts(slots(client, vins[0]))
    with db.reading() as s:
        held = s.execute(select(CarSlot.slot_start).where(CarSlot.drive_id == drive["id"])).all()
        assert sorted(t.astimezone(dt.UTC) for (t,) in held) == [
            (at(14) + dt.timedelta(minutes=q)).astimezone(dt.UTC) for q in (0, 15, 30, 45)
        ]
        assert s.scalar(select(func.count(DealerSlot.drive_id.distinct()))) == 2
    _problem(
        client.post(url, json={"start": at(8).isoformat()}, headers=h["customer"]),
        422,
        "outside_opening_hours",
    )
    # only the owner moves it; a cancelled drive cannot move
    other = f.token(client, "staff@test.dev")
    assert client.post(url, json={"start": at(12).isoformat()}, headers=other).status_code == 403
    client.post(f"/api/v1/test-drives/{drive['id']}/cancel", headers=h["customer"])
    _problem(
        client.post(url, json={"start": at(12).isoformat()}, headers=h["customer"]),
        409,
        "not_reschedulable",
    )
    assert iso(at(14)) in _starts(slots(client, vins[0]))  # cancelling freed the slot


def test_another_customer_cannot_move_or_see_the_drive(client, db):
    _, vins, h = setup(client, db)
    drive = book(client, h["customer"], vins[0], at(10)).json()
    stranger = customer(client, db, "b2@test.dev")
    url = f"/api/v1/test-drives/{drive['id']}"
    _problem(client.get(url, headers=stranger), 404, "test_drive_not_found")
    moved = client.post(f"{url}/reschedule", json={"start": at(12).isoformat()}, headers=stranger)
    _problem(moved, 404, "test_drive_not_found")


def test_check_out_and_in(client, db):
    net, vins, h = setup(client, db)
    join = client.post("/api/v1/me/memberships", json={"brand": "BMW"}, headers=h["customer"])
    assert join.status_code == 201, join.text
    drive = book(client, h["customer"], vins[0], at(10)).json()
    url = f"/api/v1/test-drives/{drive['id']}"
    _problem(
        client.post(f"{url}/check-out", json={"odometer_km": 12}, headers=h["staff"]),
        409,
        "check_out_too_early",
    )
    arrive(db, drive["id"])
    r = client.post(f"{url}/check-out", json={"odometer_km": 12}, headers=h["staff"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "out" and r.json()["odometer_out_km"] == 12
    assert _status(db, vins[0]) == "test_drive"
    # again: harmless; a buyer cannot reserve a car that is out
    assert (
        client.post(f"{url}/check-out", json={"odometer_km": 12}, headers=h["staff"]).json()[
            "status"
        ]
        == "out"
    )
    order = client.post("/api/v1/orders", json={"vin": vins[0]}, headers=h["customer"])
    _problem(order, 409, "vehicle_unavailable")

    _problem(
        client.post(f"{url}/check-in", json={"odometer_km": 11}, headers=h["staff"]),
        422,
        "odometer_below_out",
    )
    r = client.post(f"{url}/check-in", json={"odometer_km": 40}, headers=h["staff"])
    assert r.status_code == 200 and r.json()["status"] == "returned"
    assert r.json()["odometer_in_km"] == 40 and r.json()["returned_at"]
    assert _status(db, vins[0]) == "available"
    assert (
        client.post(f"{url}/check-in", json={"odometer_km": 40}, headers=h["staff"]).json()[
            "status"
        ]
        == "returned"
    )
    with db.reading() as s:  # points for the drive, once
        points = s.scalars(select(PointsEntry.points).where(PointsEntry.kind == "earn")).all()
        assert points == [200]
        types = s.scalars(
            select(DomainEvent.type)
            .where(DomainEvent.entity_id == drive["id"])
            .order_by(DomainEvent.id)
        ).all()
        assert types == ["test_drive.booked", "test_drive.out", "test_drive.returned"]
    # the carmaker asks the customer about the drive, once, in the customer's inbox
    surveys = client.get("/api/v1/me/surveys", headers=h["customer"]).json()["items"]
    assert [x["about"] for x in surveys] == ["test_drive"]
    page = client.get(f"/surveys/{surveys[0]['token']}")
    assert page.status_code == 200 and "How was your test drive with" in page.text


def test_check_out_of_a_car_reserved_meanwhile_is_refused(client, db):
    _, vins, h = setup(client, db)
    drive = book(client, h["customer"], vins[0], at(10)).json()
    order = client.post("/api/v1/orders", json={"vin": vins[0]}, headers=h["customer"])
    assert order.status_code == 201, order.text
    arrive(db, drive["id"])
    r = client.post(
        f"/api/v1/test-drives/{drive['id']}/check-out", json={"odometer_km": 5}, headers=h["staff"]
    )
    _problem(r, 409, "vehicle_unavailable")
    assert (
        client.get(f"/api/v1/test-drives/{drive['id']}", headers=h["customer"]).json()["status"]
        == "booked"
    )


def test_check_out_after_the_slot_is_over_is_refused(client, db):
    _, vins, h = setup(client, db)
    drive = book(client, h["customer"], vins[0], at(10)).json()
    arrive(db, drive["id"], late_by=dt.timedelta(hours=2))
    r = client.post(
        f"/api/v1/test-drives/{drive['id']}/check-out", json={"odometer_km": 5}, headers=h["staff"]
    )
    _problem(r, 409, "slot_over")


def test_no_show_only_after_the_slot_began_and_it_frees_the_slot(client, db):
    _, vins, h = setup(client, db)
    drive = book(client, h["customer"], vins[0], at(10)).json()
    url = f"/api/v1/test-drives/{drive['id']}/no-show"
    _problem(client.post(url, headers=h["staff"]), 409, "slot_not_started")
    arrive(db, drive["id"])
    r = client.post(url, headers=h["staff"])
    assert r.status_code == 200 and r.json()["status"] == "no_show"
    assert client.post(url, headers=h["staff"]).json()["status"] == "no_show"  # harmless again
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(DealerSlot)) == 0
        assert s.scalar(select(func.count()).select_from(CarSlot)) == 0
    check_out = client.post(
        f"/api/v1/test-drives/{drive['id']}/check-out", json={"odometer_km": 1}, headers=h["staff"]
    )
    _problem(check_out, 409, "drive_not_booked")


def test_another_dealer_sees_404_everywhere(client, db):
    _, vins, h = setup(client, db)
    drive = book(client, h["customer"], vins[0], at(10)).json()
    arrive(db, drive["id"])
    other = h["other_manager"]
    url = f"/api/v1/test-drives/{drive['id']}"
    _problem(client.get(url, headers=other), 404, "test_drive_not_found")
    for action, body in (("check-out", {"odometer_km": 1}), ("check-in", {"odometer_km": 1})):
        _problem(
            client.post(f"{url}/{action}", json=body, headers=other), 404, "test_drive_not_found"
        )
    _problem(client.post(f"{url}/no-show", headers=other), 404, "test_drive_not_found")
    _problem(client.post(f"{url}/cancel", headers=other), 404, "test_drive_not_found")
    today = dt.datetime.now(dt.UTC).astimezone(at(0).tzinfo).date()
    cal = client.get(f"/api/v1/dealer/test-drives?date={today}", headers=other).json()
    assert cal["items"] == []
    mine = client.get(f"/api/v1/dealer/test-drives?date={today}", headers=h["staff"]).json()
    assert [x["id"] for x in mine["items"]] == [drive["id"]]


def test_the_calendar_lists_the_days_drives_with_the_customer(client, db):
    _, vins, h = setup(client, db)
    li = customer(client, db, "li@test.dev", name="Li Lei", phone="+8613800000001")
    late = book(client, h["customer"], vins[1], at(15)).json()
    early = book(client, li, vins[0], at(9)).json()
    book(client, li, vins[2], at(10, ahead=8))  # another day
    r = client.get(f"/api/v1/dealer/test-drives?date={day()}", headers=h["staff"])
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [x["id"] for x in items] == [early["id"], late["id"]]
    assert items[0]["lane"] == 1 and items[0]["code"] == early["code"]
    assert (items[0]["customer_name"], items[0]["customer_phone"]) == ("Li Lei", "+8613800000001")
    assert client.get("/api/v1/dealer/test-drives", headers=h["customer"]).status_code == 403


def test_an_idempotency_key_replays_the_booking(client, db):
    _, vins, h = setup(client, db)
    first = book(client, h["customer"], vins[0], at(10), **{"Idempotency-Key": "td-1"})
    again = book(client, h["customer"], vins[0], at(10), **{"Idempotency-Key": "td-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    other = book(client, h["customer"], vins[1], at(10), **{"Idempotency-Key": "td-1"})
    _problem(other, 422, "idempotency_key_reused")
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(TestDrive)) == 1


def test_a_kiosk_code_already_taken_is_drawn_again(client, db, monkeypatch):
    """31^8 codes make a collision rare, not impossible: the unique index catches it and the
    booking draws another code instead of failing."""
    _, vins, h = setup(client, db)
    other = customer(client, db, "second@test.dev")
    drawn = iter(["AAAAAAAA", "AAAAAAAA", "BBBBBBBB"])
    monkeypatch.setattr("motormall.testdrives.rules.new_code", lambda: next(drawn))
    first = book(client, h["customer"], vins[0], at(10))
    second = book(client, other, vins[1], at(11))
    assert (first.status_code, second.status_code) == (201, 201), second.text
    assert (first.json()["code"], second.json()["code"]) == ("AAAAAAAA", "BBBBBBBB")


def test_a_new_slot_length_never_overlaps_a_drive_booked_on_the_old_one(client, db):
    """Booked 10:00-11:00 on hour-long slots; the dealer then goes to half-hour slots. 10:30
    overlaps the booked hour: it is neither offered nor bookable in the one lane, nor for
    that car in a second lane."""
    _, vins, h = setup(client, db)
    assert book(client, h["customer"], vins[0], at(10)).status_code == 201
    manager = f.token(client, "manager@test.dev")
    r = client.put(
        "/api/v1/dealer/test-drive-schedule", json={"slot_minutes": 30, "lanes": 1}, headers=manager
    )
    assert r.status_code == 200, r.text
    other = customer(client, db, "second@test.dev")
    free = _starts(slots(client, vins[1]))
    assert iso(at(10, 30)) not in free and iso(at(11)) in free and iso(at(9, 30)) in free
    _problem(book(client, other, vins[1], at(10, 30)), 409, "slot_taken")
    client.put(
        "/api/v1/dealer/test-drive-schedule", json={"slot_minutes": 30, "lanes": 2}, headers=manager
    )
    assert iso(at(10, 30)) in _starts(slots(client, vins[1]))  # a second lane, another car
    assert iso(at(10, 30)) not in _starts(slots(client, vins[0]))  # the booked car: no
    _problem(book(client, other, vins[0], at(10, 30)), 409, "slot_taken")
    assert book(client, other, vins[1], at(10, 30)).status_code == 201
