"""Browser journey, on a phone and a desktop, in English and Chinese: a customer books a
test-drive slot from the vehicle page, then the dealer checks the car out and back in."""

import pytest

from tests import factories as f
from tests.testdrives.dealer_helpers import arrive, day
from tests.web.test_browser import _log_in, journey  # noqa: F401  the fixture

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_book_a_slot_then_the_dealer_checks_the_car_out_and_in(db, live_server, journey):  # noqa: F811
    pg = journey
    net = f.network(db)
    vin = f.stock(db, net["dealers"]["SH-1"], net["trims"][0], [1], price="268000.00")[0]

    _log_in(pg, live_server, "buyer@test.dev", f"/vehicles/{vin}")
    pg.check("vehicle")
    pg.fill("#drive-day input[name=date]", day().isoformat())
    pg.click("#drive-slots")
    pg.wait_for_url("**/test-drive?**")
    assert pg.locator("button.slot").count() == 9
    pg.check("slots")
    pg.locator("button.slot").nth(1).click()  # 10:00
    pg.wait_for_url("**/test-drives?done=**")
    drive = pg.locator("article.drive")
    assert drive.count() == 1 and len(drive.locator(".code").inner_text()) == 8
    assert drive.locator(".status-booked").count() == 1
    pg.check("my-test-drives")
    drive_id = drive.get_attribute("data-drive")

    pg.context.clear_cookies()
    arrive(db, drive_id)  # the day of the drive has come
    _log_in(pg, live_server, "staff@test.dev", "/dealer/test-drives")
    card = pg.locator(f"article.drive[data-drive='{drive_id}']")
    assert card.locator("a.email, b.customer").count() >= 1
    pg.check("calendar")
    card.locator("form.check-out input[name=odometer_km]").fill("1200")
    card.locator("form.check-out button").click()
    pg.wait_for_selector(f"article.drive[data-drive='{drive_id}'] .status-out")
    pg.check("checked-out")
    card.locator("form.check-in input[name=odometer_km]").fill("1234")
    card.locator("form.check-in button").click()
    pg.wait_for_selector(f"article.drive[data-drive='{drive_id}'] .status-returned")
    pg.check("checked-in")
