"""Browser journey, on a phone and a desktop, in English and Chinese: a customer sees what the
tower checks before booking, fixes it, books a tower car, and the tower's kiosk finds the
booking by its code and asks for the head turn."""

import re

import pytest

from tests import factories as f
from tests.testdrives import helpers as h
from tests.web.test_browser import _log_in, journey  # noqa: F401  the fixture

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_the_gate_is_explained_then_the_kiosk_finds_the_booking(db, live_server, journey, client):  # noqa: F811
    pg = journey
    net, vins, _ = h.tower_network(db)
    _log_in(pg, live_server, "buyer@test.dev", f"/vehicles/{vins[0]}")
    pg.click("#tower-drive")
    pg.wait_for_url(f"**/vehicles/{vins[0]}/tower-drive")
    gate = pg.locator("#gate li")
    assert gate.count() >= 6
    assert pg.locator("#gate li[data-check=membership].error").count() == 1
    assert pg.locator("#tower-book").count() == 0  # nothing to book before the gate passes
    pg.check("gate-refused")

    buyer = f.token(client, net["users"]["customer"])  # the same customer fixes each check
    h.join(client, buyer)
    h.consent(client, buyer, 7)
    h.declare(client, buyer)
    pg.reload()
    assert pg.locator("#gate li.error").count() == 0
    pg.check("gate-passed")
    pg.click("#tower-book button[type=submit]")
    pg.wait_for_selector("#booked")
    code = re.search(r"[A-Z0-9]{8}$", pg.locator("#booked").inner_text().strip()).group()
    pg.check("booked")

    pg.context.clear_cookies()
    _log_in(pg, live_server, "kiosk@test.dev", "/kiosk")
    pg.check("kiosk")
    pg.fill("#kiosk-code input[name=code]", code)
    pg.click("#kiosk-code button[type=submit]")
    pg.wait_for_selector("#kiosk-capture:not([hidden])")
    assert pg.locator("#kiosk-instruction").inner_text()
    pg.check("kiosk-capture")
