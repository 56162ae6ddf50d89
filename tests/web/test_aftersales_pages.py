"""After-sales pages: the dealer's service calendar, parts and cases; the customer's
bookings and history; the carmaker's integrity list. English and Chinese."""

import datetime as dt
import secrets

from sqlalchemy import select, update

from motormall.aftersales import parts
from motormall.platform.auth import User
from motormall.surveys.models import Case, Survey
from tests import factories as f
from tests.aftersales.helpers import at, book, day
from tests.web.test_checkout import _login
from tests.web.test_pages import csrf_of


def _setup(client, db):
    net = f.network(db)
    with db.transaction() as s:
        s.execute(
            update(User)
            .where(User.email == "buyer@test.dev")
            .values(name="Li Na", phone="+8613800000001")
        )
    buyer = f.token(client, net["users"]["customer"])
    return net, buyer


def test_the_service_calendar_shows_who_comes_to_which_bay(client, db):
    net, buyer = _setup(client, db)
    appt = book(client, buyer, start=at(10), kind="repair").json()
    with db.transaction() as s:
        parts.put_part(s, "BP-1", name="Brake pads", model_id=None)
        parts.set_stock(s, net["dealers"]["SH-1"], "BP-1", on_hand=2, reorder_level=2)
    staff = f.token(client, net["users"]["staff"])
    client.put(
        f"/api/v1/service-appointments/{appt['id']}/parts/BP-1", json={"qty": 1}, headers=staff
    )
    _login(client, "staff@test.dev")
    page = client.get(f"/dealer/service?day={day()}").text
    assert f'data-appointment="{appt["id"]}"' in page and "Bay 1" in page
    assert "Li Na" in page and 'href="tel:+8613800000001"' in page and "BP-1 × 1" in page
    assert "Repair" in page
    assert "No car is booked in" in client.get(f"/dealer/service?day={day(9)}").text
    assert appt["id"] in client.get(f"/dealer/service?day={day(5)}&view=week").text
    parts_page = client.get("/dealer/parts").text
    assert "Low stock" in parts_page and appt["vin"] in parts_page
    zh = client.get(f"/dealer/service?day={day()}", headers={"Accept-Language": "zh-CN"}).text
    assert "1 号工位" in zh and "维修" in zh
    _login(client, "other@test.dev")
    assert appt["id"] not in client.get(f"/dealer/service?day={day()}").text


def test_the_cases_page_lists_overdue_first_and_records_an_action(client, db):
    net, buyer = _setup(client, db)
    for text in ("Late car", "<script>alert(1)</script>"):
        body = {"dealer": "SH-1", "about": "service", "text": text}
        assert client.post("/api/v1/me/complaints", json=body, headers=buyer).status_code == 201
    with db.transaction() as s:  # the second complaint is overdue
        s.execute(
            update(Case)
            .where(Case.text.like("<script>%"))
            .values(due_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
        )
    _login(client, "manager@test.dev")
    page = client.get("/dealer/cases").text
    assert page.index("&lt;script&gt;") < page.index("Late car")  # escaped, and overdue first
    assert "<script>alert(1)</script>" not in page and "Overdue" in page
    assert 'href="tel:+8613800000001"' in page
    case_id = page.split('data-case="')[1].split('"')[0]
    r = client.post(
        f"/dealer/cases/{case_id}/events",
        data={"type": "resolved", "note": "Apologised", "csrf_token": csrf_of(page)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    after = client.get("/dealer/cases").text
    assert case_id not in after and "Late car" in after
    assert "投诉" in client.get("/dealer/cases", headers={"Accept-Language": "zh-CN"}).text


def test_the_customer_books_moves_and_cancels_from_the_service_page(client, db):
    net, _ = _setup(client, db)
    _login(client, "buyer@test.dev")
    vin = f.vin(900)
    page = client.get(f"/me/service?vin={vin}&dealer=SH-1&kind=maintenance&date={day()}")
    start = at(10).astimezone(dt.UTC).isoformat()
    assert f'value="{start}"' in page.text
    r = client.post(
        "/me/service/book",
        data={
            "vin": vin,
            "dealer": "SH-1",
            "kind": "maintenance",
            "start": start,
            "csrf_token": csrf_of(page.text),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get("/me/service").text
    appt_id = page.split('data-appointment="')[1].split('"')[0]
    moved = at(14).astimezone(dt.UTC).isoformat()
    r = client.post(
        f"/me/service/{appt_id}/reschedule",
        data={"start": moved, "csrf_token": csrf_of(page)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = client.post(
        f"/me/service/{appt_id}/reschedule",
        data={"start": at(8).astimezone(dt.UTC).isoformat(), "csrf_token": csrf_of(page)},
    )
    assert r.status_code == 422 and 'role="alert"' in r.text
    client.post(f"/me/service/{appt_id}/cancel", data={"csrf_token": csrf_of(page)})
    assert "No service visit booked." in client.get("/me/service").text
    assert "预约售后服务" in client.get("/me/service", headers={"Accept-Language": "zh-CN"}).text


def test_the_integrity_list_puts_flagged_dealers_first(client, db):
    net = f.network(db)
    now = dt.datetime.now(dt.UTC)
    with db.transaction() as s:
        uid = s.scalar(select(User.id).where(User.email == "buyer@test.dev"))
        for i in range(30):
            s.add(
                Survey(
                    token=secrets.token_urlsafe(24),
                    customer_id=uid,
                    dealer_id=net["dealers"]["SH-2" if i < 10 else "SH-1"],
                    about="service",
                    subject_id=f"s{i}",
                    created_at=now - dt.timedelta(days=1),
                    expires_at=now + dt.timedelta(days=20),
                    answered_at=now,
                    csat=4,
                    nps=8,
                    incentive_offered=10 <= i < 15,  # 5 of SH-1's 20 customers say so
                )
            )
    _login(client, "admin@test.dev")
    page = client.get("/oem/survey-integrity").text
    assert 'data-dealer="SH-1" class="flagged"' in page and 'data-dealer="SH-2">' in page
    assert page.index("SH-1") < page.index('data-dealer="SH-2"')
    assert "Customers report incentives for ratings" in page
    assert (
        "客户反映以好处换好评"
        in client.get("/oem/survey-integrity", headers={"Accept-Language": "zh-CN"}).text
    )
    _login(client, "buyer@test.dev")
    assert client.get("/oem/survey-integrity", follow_redirects=False).status_code == 303
