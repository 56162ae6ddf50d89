"""Browser journey in Debian's Chromium: a dealer opens a customer from the lead inbox and
sees what is due; the carmaker finds the same customer by phone and reads the whole
timeline (phone and desktop, English and Chinese, screenshots with MOTORMALL_SCREENSHOTS=1)."""

import pytest
from sqlalchemy import update

from motormall.platform.auth import User
from tests import factories as f
from tests.orders import helpers as h
from tests.web.test_browser import _log_in, journey  # noqa: F401  the per-role journey fixture

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_customer_page_journey(db, live_server, journey, client):  # noqa: F811
    pg = journey
    net, vins, buyer = h.setup(db, client)
    other = f.stock(db, net["dealers"]["SH-2"], net["trims"][1], [50], price="189000.00")[0]
    with db.transaction() as s:
        s.execute(
            update(User)
            .where(User.email == "buyer@test.dev")
            .values(name="李伟", phone="+8613900139000")
        )
    lead = client.post("/api/v1/leads", headers=buyer, json={"channel": "web", "vin": vins[0]})
    staff = f.token(client, net["users"]["staff"])
    note = "已致电，周六到店" if pg.lang == "zh" else "Rang, coming Saturday"
    client.post(
        f"/api/v1/leads/{lead.json()['id']}/events",
        headers=staff,
        json={"type": "note", "note": note},  # a note: the lead still waits for its call
    )
    h.reserve(client, buyer, vins[1])
    client.post("/api/v1/leads", headers=buyer, json={"channel": "web", "vin": other})

    _log_in(pg, live_server, "staff@test.dev", "/dealer/leads")
    pg.locator("a.customer-link").first.click()
    pg.wait_for_url("**/dealer/customers/**")
    assert pg.locator("#customer-name").inner_text() == "李伟"
    assert pg.locator("a.tel").get_attribute("href") == "tel:+8613900139000"
    assert pg.locator("#due .due-lead").count() == 1  # the inquiry, not called yet
    assert note in pg.locator("#timeline").inner_text()
    assert other not in pg.content()  # SH-2's inquiry is not SH-1's business
    pg.check("dealer-customer")
    pg.locator("#logout, form[action='/logout'] button").first.click()
    pg.wait_for_load_state()

    _log_in(pg, live_server, "admin@test.dev", "/oem/customers")
    pg.check("lookup")
    pg.fill("input[name=q]", "139 0013 9000")
    pg.click("form.lookup button[type=submit]")
    pg.wait_for_url("**/oem/customers/**")
    text = pg.locator("#timeline").inner_text()
    assert other in text and vins[1] in text and "SH-2" in text  # every dealer's dealings
    assert "order.reserved" not in text and "lead.assigned" not in text
    pg.check("oem-customer")
