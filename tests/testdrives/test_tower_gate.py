"""The tower gate: each check's code in its order, the rolling quota at its edges with an
injected clock, the model once per window, one live drive, and one car for many customers."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from motormall.catalog.models import Vehicle
from motormall.membership import service as membership
from motormall.platform.auth import Principal, Role, User
from motormall.platform.db import utcnow
from motormall.platform.errors import DomainError
from motormall.testdrives import rules, tower
from motormall.testdrives.models import TestDrive
from tests.finance.helpers import WEAK, declare
from tests.testdrives import helpers as h


def _code(r) -> str:
    return r.json().get("code")


def test_the_gate_answers_each_check_in_order(db, client):
    net, vins, dealer_vin = h.tower_network(db)
    buyer = h.customer(db, client, "gate@test.dev")

    r = h.book(client, buyer, dealer_vin)  # a car at a dealer is not in a tower bay
    assert r.status_code == 409 and _code(r) == "vehicle_unavailable"

    r = h.book(client, buyer, vins[0])
    assert r.status_code == 403 and _code(r) == "not_a_member"
    assert r.json()["brand"] == "BMW"

    with db.transaction() as s:  # the brand's default ladder: joining is enough (CONTRACT)
        membership.set_programme(
            s,
            "BMW",
            membership.programme_to_json(membership.rules.DEFAULT),
            actor_id=None,
            now=utcnow(),
        )
    h.join(client, buyer)
    r = h.book(client, buyer, vins[0])
    assert r.status_code == 403 and _code(r) == "consent_required"

    h.consent(client, buyer, 1)
    r = h.book(client, buyer, vins[0])  # no credit profile counts as below
    assert r.status_code == 403 and _code(r) == "credit_below_threshold"
    declare(client, buyer, WEAK)
    r = h.book(client, buyer, vins[0])
    assert r.status_code == 403 and _code(r) == "credit_below_threshold"

    declare(client, buyer)
    r = h.book(client, buyer, vins[0])
    assert r.status_code == 201, r.text
    drive = r.json()
    assert drive["status"] == "booked" and drive["kind"] == "tower" and drive["tower"] == "TWR-SH1"
    assert len(drive["code"]) == rules.CODE_LENGTH
    with db.reading() as s:
        assert s.scalar(select(Vehicle.status).where(Vehicle.vin == vins[0])) == "test_drive"

    # the same model again: refused before the one-live-drive rule is asked
    r = h.book(client, buyer, vins[1])
    assert r.status_code == 409 and _code(r) == "model_already_driven"
    r = h.book(client, buyer, net["i5"][0])  # another model while the first drive is live
    assert r.status_code == 409 and _code(r) == "live_drive_exists"
    r = h.book(client, h.customer(db, client, "late@test.dev"), vins[0])
    assert r.status_code == 409 and _code(r) == "vehicle_unavailable"


def test_eligibility_explains_every_check_without_booking(db, client):
    _, vins, _ = h.tower_network(db)
    buyer = h.customer(db, client, "curious@test.dev")
    r = client.get(f"/api/v1/test-drives/eligibility?vin={vins[0]}", headers=buyer)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["eligible"] is False
    answers = {c["check"]: (c["ok"], c["code"]) for c in body["checks"]}
    assert [c["check"] for c in body["checks"]] == list(tower.GATE)
    assert answers == {
        "vehicle": (True, None),
        "membership": (False, "not_a_member"),
        "consent": (False, "consent_required"),
        "credit": (False, "credit_below_threshold"),
        "quota": (True, None),
        "model": (True, None),
        "live_drive": (True, None),
    }
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(TestDrive)) == 0


def test_a_start_in_the_past_or_too_far_ahead_is_refused(db, client):
    _, vins, _ = h.tower_network(db)
    buyer = h.customer(db, client, "clock@test.dev")
    r = h.book(client, buyer, vins[0], utcnow() - dt.timedelta(hours=1))
    assert r.status_code == 422 and _code(r) == "start_in_past"
    r = h.book(client, buyer, vins[0], utcnow() + dt.timedelta(days=15))
    assert r.status_code == 422 and _code(r) == "start_too_far"


# ---- the rolling window, with an injected clock -------------------------------------------


def _principal(db, email) -> Principal:
    with db.reading() as s:
        uid = s.scalar(select(User.id).where(User.email == email))
    return Principal(user_id=uid, role=Role.customer, email=email)


def _past(db, who, vehicle_vin, starts_and_models):
    with db.transaction() as s:
        v = s.scalar(select(Vehicle).where(Vehicle.vin == vehicle_vin))
        for n, (start, model_id) in enumerate(starts_and_models):
            s.add(
                TestDrive(
                    code=f"PAST{n:04d}",
                    kind="tower",
                    status="returned",
                    customer_id=who.user_id,
                    vehicle_id=v.id,
                    vin=v.vin,
                    brand_id=v.brand_id,
                    model_id=model_id,
                    dealer_id=v.dealer_id,
                    tower_id=v.tower_id,
                    start_at=start,
                    ends_at=start + dt.timedelta(days=3),
                    mismatches=0,
                    overdue_stage=0,
                    created_at=start,
                )
            )


def _try_book(db, who, vin, start, now) -> str:
    """Book in a transaction that is rolled back: the answer's code, or "booked"."""
    session = db.session_factory()
    try:
        tower.book(session, who, vin, start, now=now)
        return "booked"
    except DomainError as exc:
        return exc.code
    finally:
        session.rollback()
        session.close()


@pytest.mark.parametrize(
    ("oldest_days", "answer"), [(59, "quota_exceeded"), (60, "booked"), (61, "booked")]
)
def test_five_drives_in_a_rolling_window_at_its_edges(db, client, oldest_days, answer):
    net, vins, _ = h.tower_network(db)
    h.eligible_customer(db, client, "quota@test.dev", 2)
    who = _principal(db, "quota@test.dev")
    now = dt.datetime(2030, 3, 1, 9, 0, tzinfo=dt.UTC)
    start = now + dt.timedelta(hours=2)
    i5_model = net["i5"][1]  # earlier drives of another model: only the count matters here
    earlier = [start - dt.timedelta(days=oldest_days)] + [
        start - dt.timedelta(days=d) for d in (40, 30, 20, 10)
    ]
    _past(db, who, vins[1], [(t, i5_model) for t in earlier])
    assert _try_book(db, who, vins[0], start, now) == answer


def test_the_quota_answer_is_429_with_when_it_frees(db, client):
    net, vins, _ = h.tower_network(db)
    buyer = h.eligible_customer(db, client, "q429@test.dev", 3)
    who = _principal(db, "q429@test.dev")
    start = utcnow() + dt.timedelta(hours=1)
    _past(
        db,
        who,
        vins[1],
        [(start - dt.timedelta(days=d), net["i5"][1]) for d in (50, 40, 30, 20, 10)],
    )
    r = h.book(client, buyer, vins[0], start)
    assert r.status_code == 429 and _code(r) == "quota_exceeded"
    assert int(r.headers["Retry-After"]) > 9 * 86400
    frees = dt.datetime.fromisoformat(r.json()["next_possible"])
    assert abs(frees - (start + dt.timedelta(days=10))) < dt.timedelta(seconds=1)


@pytest.mark.parametrize(("days_ago", "answer"), [(30, "model_already_driven"), (60, "booked")])
def test_each_model_once_per_window(db, client, days_ago, answer):
    net, vins, _ = h.tower_network(db)
    h.eligible_customer(db, client, "model@test.dev", 4)
    who = _principal(db, "model@test.dev")
    now = dt.datetime(2030, 3, 1, 9, 0, tzinfo=dt.UTC)
    start = now + dt.timedelta(hours=2)
    ix3 = net["models"][0]
    _past(db, who, vins[1], [(start - dt.timedelta(days=days_ago), ix3)])
    assert _try_book(db, who, vins[0], start, now) == answer


def test_a_cancelled_drive_does_not_count(db, client):
    _, vins, _ = h.tower_network(db)
    buyer = h.eligible_customer(db, client, "cancel@test.dev", 5)
    first = h.book(client, buyer, vins[0]).json()
    r = client.post(f"/api/v1/test-drives/{first['id']}/cancel", headers=buyer)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    with db.reading() as s:
        assert s.scalar(select(Vehicle.status).where(Vehicle.vin == vins[0])) == "available"
    assert h.book(client, buyer, vins[1]).status_code == 201  # same model: the cancel is void


# ---- many customers, one car --------------------------------------------------------------


def test_many_customers_racing_for_one_tower_car_exactly_one_wins(db, client):
    _, vins, _ = h.tower_network(db, cars=1)
    emails = [f"racer{i}@test.dev" for i in range(6)]
    for i, email in enumerate(emails):
        h.eligible_customer(db, client, email, 10 + i)
    racers = [_principal(db, e) for e in emails]
    wins, losses, errors = [], [], []
    barrier = threading.Barrier(len(racers))

    def run(who):
        barrier.wait()
        try:
            with db.transaction() as s:
                wins.append(
                    tower.book(s, who, vins[0], utcnow() + dt.timedelta(hours=1), now=utcnow()).id
                )
        except DomainError as exc:
            losses.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(exc))

    threads = [threading.Thread(target=run, args=(w,)) for w in racers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(wins) == 1 and losses == ["vehicle_unavailable"] * (len(racers) - 1)
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(TestDrive)) == 1
        assert s.scalar(select(Vehicle.status).where(Vehicle.vin == vins[0])) == "test_drive"
