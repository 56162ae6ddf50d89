"""The dealer moves a visit and holds parts from the calendar, and counts stock on the parts
page; the customer complains from a form that opens a case. English and Chinese, refusals
shown on the page (never a 500), other dealers' visits untouchable."""

from sqlalchemy import select

from motormall.aftersales import parts
from motormall.aftersales.models import PartStock, ServiceAppointment
from motormall.surveys.models import Case
from tests.aftersales.helpers import at, book, day
from tests.web.test_aftersales_pages import _setup
from tests.web.test_checkout import _login
from tests.web.test_pages import csrf_of

ZH = {"Accept-Language": "zh-CN"}


def test_the_dealer_moves_a_visit_from_the_calendar(client, db):
    net, buyer = _setup(client, db)
    appt = book(client, buyer, start=at(10)).json()
    _login(client, "staff@test.dev")
    page = client.get(f"/dealer/service?day={day()}").text
    assert 'value="10:00"' in page and "Move the visit" in page
    form = {"date": day().isoformat(), "time": "15:00", "day": day().isoformat()}
    r = client.post(
        f"/dealer/service/{appt['id']}/reschedule",
        data={**form, "csrf_token": csrf_of(page)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with db.reading() as s:
        moved = s.get(ServiceAppointment, appt["id"])
    assert moved.start_at == at(15)
    # before opening time: refused on the page, the visit stays where it is
    r = client.post(
        f"/dealer/service/{appt['id']}/reschedule",
        data={**form, "time": "07:00", "csrf_token": csrf_of(page)},
    )
    assert r.status_code == 422 and 'role="alert"' in r.text
    assert "改约这次到店" in client.get(f"/dealer/service?day={day()}", headers=ZH).text
    # another dealer's staff cannot move it (not found), nor see it
    _login(client, "other@test.dev")
    other = client.get(f"/dealer/service?day={day()}").text
    r = client.post(
        f"/dealer/service/{appt['id']}/reschedule",
        data={**form, "time": "11:00", "csrf_token": csrf_of(other)},
    )
    assert r.status_code == 404
    with db.reading() as s:
        assert s.get(ServiceAppointment, appt["id"]).start_at == at(15)


def test_the_dealer_counts_stock_and_holds_a_part_for_a_visit(client, db):
    net, buyer = _setup(client, db)
    appt = book(client, buyer, start=at(11), kind="repair").json()
    with db.transaction() as s:
        parts.put_part(s, "BP-1", name="Brake pads", model_id=None)
        parts.put_part(s, "OF-2", name="Oil filter", model_id=None)
        parts.set_stock(s, net["dealers"]["SH-1"], "BP-1", on_hand=2, reorder_level=1)
    _login(client, "staff@test.dev")
    page = client.get("/dealer/parts").text
    assert "Count a new part" in page and 'value="OF-2"' in page
    r = client.post(
        "/dealer/parts/stock",
        data={
            "part_no": "OF-2",
            "on_hand": "12",
            "reorder_level": "4",
            "csrf_token": csrf_of(page),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    bad = client.post(
        "/dealer/parts/stock",
        data={
            "part_no": "OF-2",
            "on_hand": "-3",
            "reorder_level": "4",
            "csrf_token": csrf_of(page),
        },
    )
    assert bad.status_code == 422 and "Give a whole number of parts" in bad.text
    assert "盘点在库数量" in client.get("/dealer/parts", headers=ZH).text

    calendar = client.get(f"/dealer/service?day={day()}").text
    assert "Hold for this visit" in calendar and "OF-2" in calendar
    hold = {"part_no": "BP-1", "qty": "2", "day": day().isoformat()}
    r = client.post(
        f"/dealer/service/{appt['id']}/parts",
        data={**hold, "csrf_token": csrf_of(calendar)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "BP-1 × 2" in client.get(f"/dealer/service?day={day()}").text
    # a third pad is not there: refused on the page, nothing more held
    r = client.post(
        f"/dealer/service/{appt['id']}/parts",
        data={**hold, "qty": "3", "csrf_token": csrf_of(calendar)},
    )
    assert r.status_code == 409 and 'role="alert"' in r.text
    # counting fewer than are held is refused too
    r = client.post(
        "/dealer/parts/stock",
        data={"part_no": "BP-1", "on_hand": "1", "reorder_level": "1", "csrf_token": csrf_of(page)},
    )
    assert r.status_code == 409
    with db.reading() as s:
        rows = {r.part_no: r for r in s.scalars(select(PartStock))}
    assert (rows["OF-2"].on_hand, rows["OF-2"].reorder_level) == (12, 4)
    assert (rows["BP-1"].on_hand, rows["BP-1"].reserved) == (2, 2)


def test_the_customer_complains_from_a_form_and_sees_the_case(client, db):
    _setup(client, db)
    _login(client, "buyer@test.dev")
    page = client.get("/me/complaints?dealer=SH-1")
    assert page.status_code == 200 and 'value="SH-1" selected' in page.text
    assert "投诉经销商" in client.get("/me/complaints", headers=ZH).text
    empty = client.post(
        "/me/complaints",
        data={"dealer": "SH-1", "about": "service", "text": " ", "csrf_token": csrf_of(page.text)},
    )
    assert empty.status_code == 422 and "Tell us what went wrong." in empty.text
    text = "<b>Scratched</b> the door"
    r = client.post(
        "/me/complaints",
        data={"dealer": "SH-1", "about": "service", "text": text, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    mine = client.get("/me/complaints").text
    assert "&lt;b&gt;Scratched&lt;/b&gt; the door" in mine and "<b>Scratched" not in mine
    with db.reading() as s:
        (case,) = s.scalars(select(Case)).all()
    assert (case.source, case.about, case.text, case.status) == (
        "complaint",
        "service",
        text,
        "open",
    )
    unknown = client.post(
        "/me/complaints",
        data={"dealer": "XX-9", "about": "service", "text": "x", "csrf_token": csrf_of(page.text)},
    )
    assert unknown.status_code in (404, 422) and 'role="alert"' in unknown.text
