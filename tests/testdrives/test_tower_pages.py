"""Tower pages: the gate explained on a tower car, the kiosk's routes, the OEM review queue."""

from __future__ import annotations

from sqlalchemy import update

from motormall.testdrives.models import TestDrive
from tests import factories as f
from tests.testdrives import helpers as h
from tests.testdrives.test_tower_ops import out_drive
from tests.web.test_pages import csrf_of


def login(client, email, next_path="/"):
    page = client.get("/login")
    r = client.post(
        f"/login?next={next_path}",
        data={"email": email, "password": f.PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def test_a_tower_car_explains_the_gate_before_booking(db, client):
    _, vins, _ = h.tower_network(db)
    h.customer(db, client, "look@test.dev")
    assert 'id="tower-drive"' in client.get(f"/vehicles/{vins[0]}").text
    r = client.get(f"/vehicles/{vins[0]}/tower-drive", follow_redirects=False)
    assert r.status_code == 303 and "/login" in r.headers["location"]

    login(client, "look@test.dev")
    page = client.get(f"/vehicles/{vins[0]}/tower-drive")
    assert page.status_code == 200
    assert 'data-check="membership"' in page.text and "join first" in page.text
    assert 'id="tower-book"' not in page.text  # not eligible: no booking form
    zh = client.get(f"/vehicles/{vins[0]}/tower-drive?lang=zh_Hans")
    assert "提车塔试驾" in zh.text and "请先加入会员" in zh.text


def test_the_kiosk_finds_a_booking_by_code_at_its_own_tower(db, client):
    _, vins, _ = h.tower_network(db)
    h.customer(db, client, "kiosk-buyer@test.dev")
    drive_id = out_drive(db, "kiosk-buyer@test.dev", vins[0])
    with db.transaction() as s:
        s.execute(update(TestDrive).where(TestDrive.id == drive_id).values(status="booked"))
        code = s.get(TestDrive, drive_id).code
    assert client.get("/kiosk", follow_redirects=False).status_code == 303

    login(client, "kiosk@test.dev")
    page = client.get("/kiosk")
    assert page.status_code == 200 and 'id="kiosk-code"' in page.text
    assert "/static/tower.js" in page.text
    found = client.get(f"/kiosk/lookup?code={code.lower()}")
    assert found.status_code == 200 and found.json()["id"] == drive_id
    assert found.json()["challenge"] == "turn_left"
    assert client.get("/kiosk/lookup?code=NOPE2345").status_code == 404
    status = client.get(f"/kiosk/drives/{drive_id}/status")
    assert status.json() == {"id": drive_id, "status": "booked"}
    r = client.post(
        f"/kiosk/drives/{drive_id}/release",
        files=[("selfie", ("a.jpg", h.jpeg(*h.TURN_LEFT[0]), "image/jpeg"))],
    )
    assert r.status_code == 403 and r.json()["code"] == "csrf_failed"


def test_the_review_queue_page_is_for_the_carmaker(db, client):
    net, _, _ = h.tower_network(db)
    assert client.get("/oem/test-drives/reviews", follow_redirects=False).status_code == 303
    login(client, net["users"]["admin"])
    assert "/oem/test-drives/reviews" in client.get("/oem").text
    page = client.get("/oem/test-drives/reviews")
    assert page.status_code == 200 and "No face check is waiting." in page.text
    r = client.post(
        "/oem/test-drives/reviews/nope",
        data={"decision": "release", "note": "x", "csrf_token": csrf_of(page.text)},
    )
    assert r.status_code == 404 and "No face check" in r.text
