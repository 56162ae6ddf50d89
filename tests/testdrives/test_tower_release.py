"""Releasing a tower car with the real face model on the evaluation faces: the same person is
released, someone else refused, doubtful checks go to the carmaker's review queue."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from motormall.catalog.models import Vehicle
from motormall.testdrives.models import FaceCheck, TestDrive
from tests import factories as f
from tests.testdrives import helpers as h


@pytest.fixture
def booked(db, client):
    """A booked tower drive for Hugo Chavez (his ID photo on file), asked to turn left."""
    net, vins, _ = h.tower_network(db)
    buyer = h.eligible_customer(db, client, "hugo@test.dev", 21)
    r = h.book(client, buyer, vins[0])
    assert r.status_code == 201, r.text
    drive = r.json()
    h.set_challenge(db, drive["id"], "turn_left")
    return {
        "net": net,
        "vin": vins[0],
        "drive": drive,
        "buyer": buyer,
        "kiosk": f.token(client, "kiosk@test.dev"),
    }


def _checks(db) -> list[FaceCheck]:
    with db.reading() as s:
        return list(s.scalars(select(FaceCheck).order_by(FaceCheck.at)))


def _drive(db, drive_id) -> TestDrive:
    with db.reading() as s:
        return s.get(TestDrive, drive_id)


def test_the_same_person_turning_as_asked_is_released_once(db, client, booked):
    drive_id = booked["drive"]["id"]
    r = client.get(f"/api/v1/kiosk/drives/{booked['drive']['code']}", headers=booked["kiosk"])
    assert r.status_code == 200 and r.json()["challenge"] == "turn_left" and r.json()["bay"] == 1

    r = h.release(client, booked["kiosk"], drive_id, h.TURN_LEFT)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "released" and body["drive"]["status"] == "out"
    [check] = _checks(db)
    assert check.outcome == "released" and check.decision == "match" and check.liveness_ok
    assert check.frames == 3 and check.distance <= check.threshold and check.model_version
    with db.reading() as s:  # still held for the drive, in its bay
        car = s.scalar(select(Vehicle).where(Vehicle.vin == booked["vin"]))
        assert car.status == "test_drive" and car.bay == 1

    again = h.release(client, booked["kiosk"], drive_id, h.SOMEONE_ELSE)  # a replay
    assert again.status_code == 200 and again.json()["status"] == "released"
    assert again.json()["check_id"] is None and len(_checks(db)) == 1


def test_someone_else_is_refused_and_three_mismatches_lock_the_drive(db, client, booked):
    drive_id = booked["drive"]["id"]
    for attempt in (1, 2):
        r = h.release(client, booked["kiosk"], drive_id, h.SOMEONE_ELSE)
        assert r.status_code == 403 and r.json()["code"] == "face_mismatch"
        assert r.json()["attempts_left"] == 3 - attempt
        assert _drive(db, drive_id).mismatches == attempt  # counted although the answer is 403
    r = h.release(client, booked["kiosk"], drive_id, h.SOMEONE_ELSE)
    assert r.status_code == 403 and r.json()["locked_until"]
    assert [c.outcome for c in _checks(db)] == ["refused"] * 3

    r = h.release(client, booked["kiosk"], drive_id, h.TURN_LEFT)  # even the right face waits
    assert r.status_code == 409 and r.json()["code"] == "drive_locked"
    assert len(_checks(db)) == 3
    drive = _drive(db, drive_id)
    assert drive.status == "booked" and drive.out_at is None


def test_a_doubtful_check_goes_to_a_person_at_the_carmaker(db, client, booked):
    drive_id = booked["drive"]["id"]
    h.set_challenge(db, drive_id, "turn_right")  # he turns left: his face, the turn not proven
    r = h.release(client, booked["kiosk"], drive_id, h.TURN_LEFT)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "review" and r.json()["liveness_reason"] == "wrong_direction"
    poll = client.get(f"/api/v1/test-drives/{drive_id}", headers=booked["kiosk"])
    assert poll.json()["status"] == "review"

    admin = f.token(client, booked["net"]["users"]["admin"])
    queue = client.get("/api/v1/admin/test-drives/reviews", headers=admin).json()["items"]
    assert [q["drive_id"] for q in queue] == [drive_id]
    assert (
        client.get("/api/v1/admin/test-drives/reviews", headers=booked["kiosk"]).status_code == 403
    )

    check_id = queue[0]["check_id"]
    r = client.post(
        f"/api/v1/admin/test-drives/reviews/{check_id}",
        json={"decision": "release", "note": "same man, looked the wrong way"},
        headers=admin,
    )
    assert r.status_code == 200 and r.json()["status"] == "released"
    poll = client.get(f"/api/v1/test-drives/{drive_id}", headers=booked["kiosk"])
    assert poll.json()["status"] == "out"
    r = client.post(
        f"/api/v1/admin/test-drives/reviews/{check_id}",
        json={"decision": "refuse", "note": "twice"},
        headers=admin,
    )
    assert r.status_code == 409 and r.json()["code"] == "already_reviewed"
    assert client.get("/api/v1/admin/test-drives/reviews", headers=admin).json()["items"] == []


def test_another_towers_device_gets_404_and_bad_frames_422(db, client, booked):
    from motormall.catalog import schemas, service
    from motormall.platform.auth import Role, create_user

    drive_id = booked["drive"]["id"]
    with db.transaction() as s:
        t2 = service.create_tower(
            s,
            schemas.TowerIn(code="TWR-NJ1", city="Nanjing", lat=32.0, lon=118.8, bays=2),
            actor_id=None,
        )
        create_user(
            s, email="kiosk2@test.dev", password=f.PASSWORD, role=Role.tower, tower_id=t2.id
        )
    r = h.release(client, f.token(client, "kiosk2@test.dev"), drive_id, h.TURN_LEFT)
    assert r.status_code == 404
    r = client.get(
        f"/api/v1/kiosk/drives/{booked['drive']['code']}",
        headers=f.token(client, "kiosk2@test.dev"),
    )
    assert r.status_code == 404
    r = h.release(client, booked["buyer"], drive_id, h.TURN_LEFT)  # only a tower device
    assert r.status_code == 403

    none = client.post(f"/api/v1/test-drives/{drive_id}/release", headers=booked["kiosk"])
    assert none.status_code == 422 and none.json()["code"] == "frame_count"
    six = h.release(client, booked["kiosk"], drive_id, h.TURN_LEFT * 2)
    assert six.status_code == 422 and six.json()["code"] == "frame_count"
    junk = client.post(
        f"/api/v1/test-drives/{drive_id}/release",
        headers=booked["kiosk"],
        files=[("selfie", ("a.jpg", b"not a picture at all", "image/jpeg"))] * 3,
    )
    assert junk.status_code == 422 and junk.json()["code"] == "not_an_image"
    with db.reading() as s:
        assert s.scalar(select(func.count()).select_from(FaceCheck)) == 0
    assert _drive(db, drive_id).status == "booked"
