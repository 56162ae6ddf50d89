"""Service appointments through the API: free times, booking a bay, bad times, cancelling,
completing a visit and who may read the VIN's service history."""

import datetime as dt

from sqlalchemy import select

from motormall.customers.models import CustomerDealer
from tests import factories as f
from tests.aftersales.helpers import at, book, day


def _setup(client, db):
    net = f.network(db)
    users = net["users"]
    return net, {
        k: f.token(client, users[k]) for k in ("customer", "staff", "other_manager", "admin")
    }


def test_book_returns_a_bay_and_the_slot_leaves_the_free_list(client, db):
    net, h = _setup(client, db)
    url = f"/api/v1/dealers/SH-1/service-slots?date={day()}&kind=repair"
    before = client.get(url).json()["starts"]
    assert before[0] == at(9).astimezone(dt.UTC).isoformat()
    assert before[-1] == at(16).astimezone(dt.UTC).isoformat()  # a 2-hour job ends by 18:00

    r = book(client, h["customer"], start=at(10), kind="repair")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "booked" and body["bay"] == 1
    assert body["end"] == at(12).astimezone(dt.UTC).isoformat()
    # six bays: one taken still leaves the time free
    assert client.get(url).json()["starts"] == before
    with db.reading() as s:  # the booking links the customer to the dealer
        assert s.scalar(select(CustomerDealer.dealer_id)) == net["dealers"]["SH-1"]


def test_a_full_time_is_refused_with_slot_taken_and_disappears(client, db):
    _, h = _setup(client, db)
    bays = [book(client, h["customer"], start=at(11), serial=900 + i) for i in range(6)]
    assert sorted(r.json()["bay"] for r in bays) == [1, 2, 3, 4, 5, 6]
    r = book(client, h["customer"], start=at(11, 30), serial=950)  # overlaps 11:30-12:00
    assert r.status_code == 409 and r.json()["code"] == "slot_taken"
    starts = client.get(f"/api/v1/dealers/SH-1/service-slots?date={day()}&kind=maintenance")
    free = starts.json()["starts"]
    for blocked in (at(10, 30), at(11), at(11, 30)):
        assert blocked.astimezone(dt.UTC).isoformat() not in free
    assert at(12).astimezone(dt.UTC).isoformat() in free


def test_past_outside_hours_bad_vin_and_bad_kind_are_refused(client, db):
    _, h = _setup(client, db)
    cases = [
        (dict(start=at(10, ahead=-1)), "appointment_in_past"),
        (dict(start=at(8)), "outside_opening_hours"),
        (dict(start=at(17, 30)), "outside_opening_hours"),  # ends after 18:00
        (dict(start=at(10, 10)), "outside_opening_hours"),  # off the half-hour grid
    ]
    for kwargs, code in cases:
        r = book(client, h["customer"], **kwargs)
        assert (r.status_code, r.json()["code"]) == (422, code), kwargs
    bad_vin = client.post(
        "/api/v1/service-appointments",
        json={
            "vin": "LBV11GS00TA000001",
            "dealer": "SH-1",
            "start": at(10).isoformat(),
            "kind": "maintenance",
        },
        headers=h["customer"],
    )
    assert bad_vin.status_code == 422
    assert book(client, h["customer"], start=at(10), kind="tuning").status_code == 422
    assert book(client, h["customer"], start=at(10), dealer="XX-9").status_code == 404


def test_idempotency_key_replays_the_first_booking(client, db):
    _, h = _setup(client, db)
    first = book(client, h["customer"], start=at(10), **{"Idempotency-Key": "k1"})
    again = book(client, h["customer"], start=at(10), **{"Idempotency-Key": "k1"})
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"


def test_cancel_frees_the_bay(client, db):
    _, h = _setup(client, db)
    ids = [book(client, h["customer"], start=at(14), serial=900 + i).json()["id"] for i in range(6)]
    assert book(client, h["customer"], start=at(14), serial=960).status_code == 409
    r = client.post(f"/api/v1/service-appointments/{ids[2]}/cancel", headers=h["customer"])
    assert r.json()["status"] == "cancelled"
    assert book(client, h["customer"], start=at(14), serial=960).json()["bay"] == 3
    other = client.post(f"/api/v1/service-appointments/{ids[0]}/cancel", headers=h["other_manager"])
    assert other.status_code == 404


def test_complete_builds_the_history_only_the_right_people_see(client, db):
    _, h = _setup(client, db)
    _stock(client, h, "OF-1", 5)
    appt = book(client, h["customer"], start=at(10)).json()
    done = {
        "odometer_km": 12345,
        "work": "Oil and filter",
        "parts": [{"part_no": "OF-1", "qty": 1}],
    }
    url = f"/api/v1/service-appointments/{appt['id']}/complete"
    assert client.post(url, json=done, headers=h["other_manager"]).status_code == 404
    assert client.post(url, json=done, headers=h["customer"]).status_code == 403
    r = client.post(url, json=done, headers=h["staff"])
    assert r.status_code == 200 and r.json()["status"] == "completed"

    hist = f"/api/v1/vehicles/{f.vin(900)}/service-history"
    for who in ("customer", "staff", "admin"):
        r = client.get(hist, headers=h[who])
        assert r.status_code == 200, who
        (visit,) = r.json()["items"]
        assert (visit["odometer_km"], visit["work"], visit["dealer"]) == (
            12345,
            "Oil and filter",
            "SH-1",
        )
        assert visit["parts"] == [{"part_no": "OF-1", "qty": 1}]
    assert client.get(hist, headers=h["other_manager"]).status_code == 404
    stranger = f.token(client, _new_customer(db))
    assert client.get(hist, headers=stranger).status_code == 404
    # a completed visit cannot be cancelled
    cancel = client.post(f"/api/v1/service-appointments/{appt['id']}/cancel", headers=h["customer"])
    assert cancel.status_code == 409


def _new_customer(db) -> str:
    from motormall.platform.auth import Role, create_user

    with db.transaction() as s:
        create_user(s, email="stranger@test.dev", password=f.PASSWORD, role=Role.customer)
    return "stranger@test.dev"


def _stock(client, h, part_no, on_hand, reorder_level=0):
    r = client.put(
        f"/api/v1/admin/parts/{part_no}", json={"name": "Oil filter"}, headers=h["admin"]
    )
    assert r.status_code == 200, r.text
    r = client.put(
        f"/api/v1/dealer/parts/{part_no}/stock",
        json={"on_hand": on_hand, "reorder_level": reorder_level},
        headers=h["staff"],
    )
    assert r.status_code == 200, r.text


def test_parts_are_taken_from_stock_once_and_never_below_zero(client, db):
    _, h = _setup(client, db)
    _stock(client, h, "OF-1", 2, reorder_level=1)
    first = book(client, h["customer"], start=at(10)).json()
    second = book(client, h["customer"], start=at(13), serial=901).json()
    done = {"odometer_km": 1, "work": "Oil", "parts": [{"part_no": "OF-1", "qty": 2}]}
    url = "/api/v1/service-appointments/{}/complete"
    assert client.post(url.format(first["id"]), json=done, headers=h["staff"]).status_code == 200
    # completing again records nothing twice: the parts stay taken once
    assert client.post(url.format(first["id"]), json=done, headers=h["staff"]).status_code == 200
    (row,) = client.get("/api/v1/dealer/parts?low=true", headers=h["staff"]).json()["items"]
    assert (row["part_no"], row["on_hand"], row["low"]) == ("OF-1", 0, True)
    r = client.post(url.format(second["id"]), json=done, headers=h["staff"])
    assert r.status_code == 409 and r.json()["code"] == "part_out_of_stock"
    unknown = {**done, "parts": [{"part_no": "NOPE-1", "qty": 1}]}
    r = client.post(url.format(second["id"]), json=unknown, headers=h["staff"])
    assert r.status_code == 409 and r.json()["code"] == "part_out_of_stock"
    got = client.get(f"/api/v1/service-appointments/{second['id']}", headers=h["customer"])
    assert got.json()["status"] == "booked"  # a refused completion changed nothing
    assert client.get("/api/v1/dealer/parts", headers=h["other_manager"]).json()["items"] == []
