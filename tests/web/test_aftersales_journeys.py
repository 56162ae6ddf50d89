"""Browser journeys through the after-sales actions, on a phone and a desktop, in English
and Chinese (the `journey` fixture checks each page fits the screen and speaks the reader's
language): the dealer counts stock, holds a part for a visit and moves the visit; the
customer complains about a dealer and sees the case."""

import pytest
from sqlalchemy import select, update

from motormall.aftersales import parts
from motormall.aftersales.models import PartReservation, ServiceAppointment
from motormall.platform.auth import User
from tests import factories as f
from tests.aftersales.helpers import at, book, day
from tests.web.test_browser import _log_in, journey  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_dealer_after_sales_journey(db, live_server, journey, client):  # noqa: F811
    pg = journey
    net = f.network(db)
    with db.transaction() as s:
        s.execute(update(User).where(User.email == "buyer@test.dev").values(name="李娜"))
        # part names as the carmaker's catalogue stores them; numbers without words
        parts.put_part(s, "P1001", name="刹车片", model_id=None)
        parts.put_part(s, "P2002", name="机油滤清器", model_id=None)
        parts.set_stock(s, net["dealers"]["SH-1"], "P1001", on_hand=3, reorder_level=1)
    buyer = f.token(client, "buyer@test.dev")
    appt = book(client, buyer, start=at(10), kind="repair").json()

    _log_in(pg, live_server, "staff@test.dev", "/dealer/parts")
    pg.check("parts")
    new = pg.locator("form.new-part")
    new.locator("select[name=part_no]").select_option("P2002")
    new.locator("input[name=on_hand]").fill("12")
    new.locator("input[name=reorder_level]").fill("4")
    new.locator("button[type=submit]").click()
    pg.wait_for_url("**/dealer/parts?done=1")
    assert pg.locator("article.part[data-part=P2002] .on-hand").inner_text() == "12"
    pg.check("parts-counted")

    pg.goto(f"{live_server}/dealer/service?day={day()}")
    visit = pg.locator(f"li.visit[data-appointment='{appt['id']}']")
    visit.locator("summary").click()
    pg.check("calendar-actions")
    hold = visit.locator("form.hold-part")
    hold.locator("select[name=part_no]").select_option("P1001")
    hold.locator("input[name=qty]").fill("2")
    hold.locator("button[type=submit]").click()
    pg.wait_for_url("**/dealer/service?**done=1")
    assert "P1001 × 2" in pg.locator(f"li.visit[data-appointment='{appt['id']}']").inner_text()
    pg.check("part-held")

    visit = pg.locator(f"li.visit[data-appointment='{appt['id']}']")
    visit.locator("summary").click()
    visit.locator("form.reschedule input[name=time]").fill("15:00")
    visit.locator("form.reschedule button[type=submit]").click()
    pg.wait_for_url("**/dealer/service?**done=1")
    pg.check("visit-moved")
    with db.reading() as s:
        assert s.get(ServiceAppointment, appt["id"]).start_at == at(15)
        held = s.scalars(select(PartReservation)).one()
    assert (held.part_no, held.qty, held.status) == ("P1001", 2, "held")


def test_customer_complaint_journey(db, live_server, journey):  # noqa: F811
    pg = journey
    f.network(db)
    _log_in(pg, live_server, "buyer@test.dev", "/me/service")
    pg.check("service")
    pg.click("a.complain")
    pg.wait_for_url("**/me/complaints")
    pg.check("complaint-form")
    pg.select_option("select[name=dealer]", "SH-1")
    pg.select_option("select[name=about]", "service")
    text = "Scratched door, nobody called back."
    if pg.lang == "zh":
        text = "车门被刮花了，没人回电话。"
    pg.fill("textarea[name=text]", text)
    pg.click("form.complaint button[type=submit]")
    pg.wait_for_url("**/me/complaints?done=1")
    mine = pg.locator("ul.my-cases li")
    assert mine.count() == 1 and text in mine.inner_text()
    pg.check("complaint-sent")
