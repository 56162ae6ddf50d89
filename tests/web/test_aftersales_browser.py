"""Browser journeys in Debian's Chromium: a customer books and moves a service visit from
the phone; a dealer's manager works a case from the cases page (phone and desktop)."""

import pytest

from tests import factories as f
from tests.aftersales.helpers import day
from tests.web.test_browser import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _login(pg, live_server, email, next_path):
    pg.goto(f"{live_server}/login?next={next_path}")
    pg.fill("input[name=email]", email)
    pg.fill("input[name=password]", f.PASSWORD)
    pg.click("form.narrow button[type=submit]")


@pytest.mark.parametrize("width,height", [(390, 844), (1280, 800)])
def test_a_customer_books_then_moves_a_service_visit(db, live_server, browser, width, height):  # noqa: F811
    f.network(db)
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
    page = context.new_page()
    try:
        _book_move_cancel(page, live_server, width)
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"booking-{width}.png"), full_page=True)
        raise
    finally:
        context.close()


def _book_move_cancel(page, live_server, width):
    vin = f.vin(900)
    _login(page, live_server, "buyer@test.dev", "/me/service")
    page.wait_for_url("**/me/service")
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scroll
    page.fill("input[name=vin]", vin)
    page.select_option("select[name=dealer]", "SH-1")
    page.select_option("select[name=kind]", "maintenance")
    page.fill("input[name=date]", day().isoformat())
    page.click("#find-times")
    page.wait_for_url("**/me/service?**")
    page.check("input[name=start] >> nth=2")
    page.click("#confirm-time")
    page.wait_for_url("**/me/service?done=1")
    card = page.locator("article.appointment")
    assert card.count() == 1 and vin in card.inner_text()
    before = card.locator("time").get_attribute("datetime")

    card.locator("a.reschedule").click()
    page.wait_for_url("**/me/service?move=**")
    page.check("input[name=start] >> nth=8")
    page.click("#confirm-time")
    page.wait_for_url("**/me/service?done=1")
    after = page.locator("article.appointment time").get_attribute("datetime")
    assert after != before

    page.click("article.appointment button.cancel")
    page.wait_for_url("**/me/service?done=1")
    assert page.locator("article.appointment").count() == 0


@pytest.mark.parametrize("width,height", [(390, 844), (1280, 800)])
def test_a_manager_resolves_the_most_overdue_case(db, live_server, browser, client, width, height):  # noqa: F811
    import datetime as dt

    from sqlalchemy import update

    from motormall.surveys.models import Case

    net = f.network(db)
    buyer = f.token(client, net["users"]["customer"])
    for text in ("Scratched door", "Nobody called back"):
        body = {"dealer": "SH-1", "about": "service", "text": text}
        assert client.post("/api/v1/me/complaints", json=body, headers=buyer).status_code == 201
    with db.transaction() as s:
        s.execute(
            update(Case)
            .where(Case.text == "Nobody called back")
            .values(due_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))
        )
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
    pg = context.new_page()
    try:
        _login(pg, live_server, "manager@test.dev", "/dealer/cases")
        pg.wait_for_url("**/dealer/cases")
        first = pg.locator("article.case").first
        assert "Nobody called back" in first.inner_text() and "Overdue" in first.inner_text()
        assert pg.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scroll
        first.locator("select[name=type]").select_option("resolved")
        first.locator("input[name=note]").fill("Called and apologised")
        first.locator("button[type=submit]").click()
        pg.wait_for_url("**/dealer/cases")
        assert pg.locator("article.case").count() == 1
        assert "Scratched door" in pg.locator("article.case").inner_text()
        pg.click("a[data-lang=zh_Hans]")
        pg.wait_for_load_state()
        assert "投诉工单" in pg.locator("h1").inner_text()
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"cases-{width}.png"), full_page=True)
        raise
    finally:
        context.close()
