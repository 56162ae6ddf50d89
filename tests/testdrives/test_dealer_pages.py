"""Test-drive pages over HTTP: book from the vehicle page, my test drives (code, move,
cancel), the dealer's calendar (check out, check in, no-show), in English and Chinese."""

import re

from tests import factories as f
from tests.testdrives.dealer_helpers import arrive, at, day, iso
from tests.web.test_checkout import _login
from tests.web.test_pages import csrf_of


def _setup(db):
    net = f.network(db)
    return f.stock(db, net["dealers"]["SH-1"], net["trims"][0], [1, 2])


def _book(client, vin, start, date, **extra):
    page = client.get(f"/vehicles/{vin}/test-drive?date={date}")
    return client.post(
        f"/vehicles/{vin}/test-drive",
        data={"start": iso(start), "date": str(date), "csrf_token": csrf_of(page.text), **extra},
        follow_redirects=False,
    )


def test_book_from_the_vehicle_page_then_move_and_cancel(client, db):
    vin = _setup(db)[0]
    vehicle = client.get(f"/vehicles/{vin}")
    assert (
        'id="test-drive"' in vehicle.text and f'action="/vehicles/{vin}/test-drive"' in vehicle.text
    )
    picker = client.get(f"/vehicles/{vin}/test-drive?date={day()}")
    assert picker.status_code == 200
    assert picker.text.count('class="slot"') == 9 and f'data-start="{iso(at(10))}"' in picker.text
    # logged out: the slot waits behind the login, on the same day
    r = client.post(
        f"/vehicles/{vin}/test-drive",
        data={"start": iso(at(10)), "date": str(day())},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/login?")

    _login(client, "buyer@test.dev")
    r = _book(client, vin, at(10), day())
    assert r.status_code == 303 and r.headers["location"].startswith("/test-drives?done=")
    mine = client.get(r.headers["location"])
    code = re.search(r'<b class="code">(\w+)</b>', mine.text).group(1)
    assert len(code) == 8 and "status-booked" in mine.text and "Dealer SH-1" in mine.text
    drive_id = re.search(r'data-drive="(\w+)"', mine.text).group(1)
    assert f"move={drive_id}" in mine.text
    # the slot is gone from the picker; booking it again says why, on the picker
    assert (
        f'data-start="{iso(at(10))}"'
        not in client.get(f"/vehicles/{vin}/test-drive?date={day()}").text
    )
    again = _book(client, vin, at(10), day())
    assert again.status_code == 409 and "That slot was just taken" in again.text

    moved = _book(client, vin, at(14), day(), move=drive_id)
    assert moved.status_code == 303
    mine = client.get("/test-drives")
    assert mine.text.count('data-drive="') == 1
    cancel = client.post(
        f"/test-drives/{drive_id}/cancel",
        data={"csrf_token": csrf_of(mine.text)},
        follow_redirects=False,
    )
    assert cancel.status_code == 303
    assert 'class="status-cancelled"' in client.get("/test-drives").text


def test_the_dealer_checks_the_car_out_and_in_from_the_calendar(client, db):
    vin = _setup(db)[0]
    _login(client, "buyer@test.dev")
    _book(client, vin, at(10), day())
    drive_id = re.search(r'data-drive="(\w+)"', client.get("/test-drives").text).group(1)
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/test-drives").text)})

    _login(client, "staff@test.dev")
    later = client.get(f"/dealer/test-drives?date={day()}")
    assert later.status_code == 200 and f'data-drive="{drive_id}"' in later.text
    arrive(db, drive_id)  # the day has come
    cal = client.get("/dealer/test-drives")
    assert f'data-drive="{drive_id}"' in cal.text and "check-out" in cal.text
    token = csrf_of(cal.text)
    bad = client.post(
        f"/dealer/test-drives/{drive_id}/check-out",
        data={"odometer_km": "lots", "csrf_token": token},
    )
    assert bad.status_code == 422
    out = client.post(
        f"/dealer/test-drives/{drive_id}/check-out",
        data={"odometer_km": "120", "csrf_token": token},
        follow_redirects=False,
    )
    assert out.status_code == 303
    cal = client.get(out.headers["location"])
    assert "status-out" in cal.text and "check-in" in cal.text
    low = client.post(
        f"/dealer/test-drives/{drive_id}/check-in",
        data={"odometer_km": "100", "csrf_token": token},
    )
    assert low.status_code == 422 and "odometer reads less" in low.text
    back = client.post(
        f"/dealer/test-drives/{drive_id}/check-in",
        data={"odometer_km": "150", "csrf_token": token},
        follow_redirects=False,
    )
    assert back.status_code == 303
    assert "status-returned" in client.get(back.headers["location"]).text


def test_another_dealer_cannot_act_on_the_drive_from_its_calendar(client, db):
    vin = _setup(db)[0]
    _login(client, "buyer@test.dev")
    _book(client, vin, at(10), day())
    drive_id = re.search(r'data-drive="(\w+)"', client.get("/test-drives").text).group(1)
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/test-drives").text)})
    arrive(db, drive_id)
    _login(client, "other@test.dev")
    cal = client.get("/dealer/test-drives")
    assert drive_id not in cal.text
    r = client.post(
        f"/dealer/test-drives/{drive_id}/no-show", data={"csrf_token": csrf_of(cal.text)}
    )
    assert r.status_code == 404


def test_the_pages_speak_chinese(client, db):
    vin = _setup(db)[0]
    zh = {"Accept-Language": "zh-CN"}
    assert "预约试驾" in client.get(f"/vehicles/{vin}", headers=zh).text
    picker = client.get(f"/vehicles/{vin}/test-drive?date={day()}", headers=zh)
    assert "查看可约时间" in picker.text and ">10:00</button>" in picker.text
