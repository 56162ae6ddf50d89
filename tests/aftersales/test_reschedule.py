"""Moving a service appointment: the booking's rules (hours, the future, a free bay), the
old bay freed, idempotent, and two moves into one last bay settled by the database."""

import datetime as dt
import threading

from sqlalchemy import select, update

from motormall.aftersales import service
from motormall.aftersales.models import BaySlot, ServiceAppointment
from motormall.catalog.models import Dealer
from motormall.platform.auth import Principal, Role, create_user
from motormall.platform.db import utcnow
from motormall.platform.errors import Conflict
from tests import factories as f
from tests.aftersales.helpers import at, book, day
from tests.catalog.test_api import problem


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat()


def _slots(client, kind="maintenance"):
    return client.get(f"/api/v1/dealers/SH-1/service-slots?date={day()}&kind={kind}").json()[
        "starts"
    ]


def test_reschedule_moves_the_bay_and_frees_the_old_time(client, db):
    net = f.network(db)
    with db.transaction() as s:  # one bay: a held time leaves the free list
        s.execute(update(Dealer).where(Dealer.code == "SH-1").values(service_bays=1))
    buyer = f.token(client, net["users"]["customer"])
    appt = book(client, buyer, start=at(10)).json()
    assert _iso(at(10)) not in _slots(client)
    url = f"/api/v1/service-appointments/{appt['id']}/reschedule"
    r = client.post(url, json={"start": at(14).isoformat()}, headers=buyer)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (
        body["start"] == _iso(at(14)) and body["end"] == _iso(at(15)) and body["id"] == appt["id"]
    )
    free = _slots(client)
    assert _iso(at(10)) in free and _iso(at(14)) not in free and _iso(at(13, 30)) not in free
    # moving it to where it is changes nothing
    again = client.post(url, json={"start": at(14).isoformat()}, headers=buyer)
    assert again.status_code == 200 and again.json() == body
    with db.reading() as s:
        held = s.execute(select(BaySlot.slot_start).order_by(BaySlot.slot_start)).scalars().all()
    assert [t.astimezone(dt.UTC) for t in held] == [at(14), at(14, 30)]


def test_reschedule_with_a_key_replays_and_bad_moves_are_refused(client, db):
    net = f.network(db)
    with db.transaction() as s:
        s.execute(update(Dealer).where(Dealer.code == "SH-1").values(service_bays=1))
    buyer = f.token(client, net["users"]["customer"])
    first = book(client, buyer, start=at(10), serial=901).json()
    book(client, buyer, start=at(15), serial=902)
    url = f"/api/v1/service-appointments/{first['id']}/reschedule"
    keyed = {**buyer, "Idempotency-Key": "move-1"}
    r1 = client.post(url, json={"start": at(12).isoformat()}, headers=keyed)
    r2 = client.post(url, json={"start": at(12).isoformat()}, headers=keyed)
    assert r1.status_code == r2.status_code == 200
    assert r2.headers.get("Idempotent-Replayed") == "true" and r2.json() == r1.json()
    # the only bay is held at 15:00 by the other car: refused, the appointment keeps 12:00
    problem(client.post(url, json={"start": at(15).isoformat()}, headers=buyer), 409, "slot_taken")
    problem(
        client.post(url, json={"start": at(8).isoformat()}, headers=buyer),
        422,
        "outside_opening_hours",
    )
    problem(
        client.post(url, json={"start": at(10, ahead=-1).isoformat()}, headers=buyer),
        422,
        "appointment_in_past",
    )
    assert client.get(f"/api/v1/service-appointments/{first['id']}", headers=buyer).json()[
        "start"
    ] == _iso(at(12))
    other = f.token(client, net["users"]["other_manager"])
    problem(client.post(url, json={"start": at(13).isoformat()}, headers=other), 404, "not_found")
    client.post(f"/api/v1/service-appointments/{first['id']}/cancel", headers=buyer)
    problem(
        client.post(url, json={"start": at(13).isoformat()}, headers=buyer),
        409,
        "appointment_not_reschedulable",
    )


def test_two_moves_into_the_last_bay_at_once_one_wins(db):
    f.network(db)
    with db.transaction() as s:
        s.execute(update(Dealer).where(Dealer.code == "SH-1").values(service_bays=2))
        users = [
            create_user(s, email=f"m{i}@test.dev", password=f.PASSWORD, role=Role.customer)
            for i in range(3)
        ]
    who = [Principal(user_id=u.id, role=Role.customer, email=u.email) for u in users]
    ids = []
    with db.transaction() as s:
        for i, (p, start) in enumerate(zip(who, (at(9), at(9), at(14)), strict=True)):
            req = service.BookRequest(
                vin=f.vin(300 + i), dealer="SH-1", start=start, kind="maintenance"
            )
            ids.append(service.book(s, p, req, now=utcnow()).id)
    # the 14:00 car holds one bay; both 09:00 cars try to move into the other at 14:00
    wins, losses, errors = [], [], []
    barrier = threading.Barrier(2)

    def move(p, appointment_id):
        barrier.wait()
        try:
            with db.transaction() as s:
                service.reschedule(s, p, appointment_id, at(14), now=utcnow())
                wins.append(appointment_id)
        except Conflict as exc:
            losses.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(exc))

    threads = [threading.Thread(target=move, args=(who[i], ids[i])) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(wins) == 1 and losses == ["slot_taken"]
    with db.reading() as s:
        rows = dict(s.execute(select(ServiceAppointment.id, ServiceAppointment.start_at)).all())
        slots = s.execute(select(BaySlot.bay, BaySlot.slot_start, BaySlot.appointment_id)).all()
    loser = ids[1] if wins == [ids[0]] else ids[0]
    assert rows[wins[0]].astimezone(dt.UTC) == at(14)
    assert rows[loser].astimezone(dt.UTC) == at(9)  # the loser keeps its time and its bay
    assert {a for _, _, a in slots} == {wins[0], loser, ids[2]}
    at_two = [(b, a) for b, t, a in slots if t.astimezone(dt.UTC) == at(14)]
    assert sorted(b for b, _ in at_two) == [1, 2]
