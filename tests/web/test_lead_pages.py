"""Lead pages: ask about a car, see who will call and by when; the dealer's inbox."""

import pytest

from tests import factories as f
from tests.web.test_checkout import _login
from tests.web.test_pages import csrf_of


@pytest.fixture
def settings(settings):
    """The webhook receiver below listens on loopback: the operator's setting allows it."""
    return settings.model_copy(update={"webhook_allow_private": True})


def test_ask_the_dealer_then_the_dealer_answers_from_the_inbox(client, db):
    net = f.network(db)
    vin = f.stock(db, net["dealers"]["SH-1"], net["trims"][0], [1])[0]
    _login(client, "buyer@test.dev")
    page = client.get(f"/vehicles/{vin}")
    r = client.post(
        f"/vehicles/{vin}/inquiry",
        data={"message": "Saturday?", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/leads/")
    lead_page = client.get(r.headers["location"])
    assert "Dealer SH-1 will contact you by" in lead_page.text

    client.post("/logout", data={"csrf_token": csrf_of(lead_page.text)})
    _login(client, "staff@test.dev")
    inbox = client.get("/dealer/leads")
    assert "Saturday?" in inbox.text and 'class="countdown"' in inbox.text
    assert 'class="badge-status status-new"' in inbox.text
    lead_id = r.headers["location"].rsplit("/", 1)[1]
    done = client.post(
        f"/dealer/leads/{lead_id}/events",
        data={"type": "contacted", "note": "called", "csrf_token": csrf_of(inbox.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    # the lead's status badge, not the "Contacted" button every lead carries
    after = client.get("/dealer/leads").text
    assert 'class="badge-status status-contacted">Contacted</span>' in after
    assert "status-new" not in after
    refused = client.post(
        f"/dealer/leads/{lead_id}/events", data={"type": "lost", "csrf_token": csrf_of(inbox.text)}
    )
    assert refused.status_code == 422 and "Say why" in refused.text  # the error table's status


def test_the_dealer_manager_points_webhooks_at_their_system(client, db):
    from tests.leads.test_webhooks import Receiver

    receiver = Receiver()
    try:
        f.network(db)
        _login(client, "manager@test.dev")
        page = client.get("/dealer/webhooks")
        assert page.status_code == 200 and "Nothing sent yet." in page.text
        bad = client.post(
            "/dealer/webhooks", data={"url": "not a url", "csrf_token": csrf_of(page.text)}
        )
        assert bad.status_code == 422
        r = client.post(
            "/dealer/webhooks",
            data={"url": receiver.url, "csrf_token": csrf_of(page.text)},
            follow_redirects=False,
        )
        assert r.status_code == 303
        page = client.get("/dealer/webhooks")
        assert receiver.url in page.text and "Secret" in page.text
    finally:
        receiver.close()


def test_the_inbox_shows_whom_to_call_and_stops_the_clock_once_contacted(client, db):
    net = f.network(db)
    vin = f.stock(db, net["dealers"]["SH-1"], net["trims"][0], [1])[0]
    with db.transaction() as s:
        from sqlalchemy import select

        from motormall.platform.auth import User

        buyer = s.scalar(select(User).where(User.email == "buyer@test.dev"))
        buyer.name, buyer.phone = "Chen Jie", "+8613800138000"
    _login(client, "buyer@test.dev")
    page = client.get(f"/vehicles/{vin}")
    r = client.post(
        f"/vehicles/{vin}/inquiry", data={"message": "Hi", "csrf_token": csrf_of(page.text)}
    )
    lead_id = str(r.url).rsplit("/", 1)[1]
    client.post("/logout", data={"csrf_token": csrf_of(r.text)})
    _login(client, "staff@test.dev")
    inbox = client.get("/dealer/leads").text
    assert "Chen Jie" in inbox and 'href="tel:+8613800138000"' in inbox
    assert 'href="mailto:buyer@test.dev"' in inbox and "BMW iX3" in inbox
    assert 'class="countdown"' in inbox

    # "won" on a lead nobody contacted asks first, and changes nothing until confirmed
    asked = client.post(
        f"/dealer/leads/{lead_id}/events", data={"type": "won", "csrf_token": csrf_of(inbox)}
    )
    assert asked.status_code == 200 and 'id="confirm-won"' in asked.text
    assert 'class="badge-status status-new"' in asked.text

    client.post(
        f"/dealer/leads/{lead_id}/events",
        data={"type": "contacted", "note": "rang, call back Sat", "csrf_token": csrf_of(inbox)},
    )
    client.post(
        f"/dealer/leads/{lead_id}/events",
        data={"type": "quoted", "amount": "259000", "csrf_token": csrf_of(inbox)},
    )
    after = client.get("/dealer/leads").text
    assert "rang, call back Sat" in after  # the note stays on the lead
    assert 'class="countdown"' not in after  # no clock once contacted
    assert "CN¥259,000" in after

    client.post("/logout", data={"csrf_token": csrf_of(after)})
    _login(client, "buyer@test.dev")
    mine = client.get("/leads")
    assert mine.status_code == 200
    assert "Dealer SH-1" in mine.text and "1 SH-1 Road" in mine.text
    assert 'href="tel:+862160000001"' in mine.text
    assert "Quoted" in mine.text and "CN¥259,000" in mine.text
    assert "rang, call back Sat" not in mine.text  # dealer notes are the dealer's
    zh = client.get("/leads", headers={"Accept-Language": "zh-CN"}).text
    assert "SH-1 经销商" in zh


def test_a_question_typed_logged_out_survives_the_login(client, db):
    net = f.network(db)
    vin = f.stock(db, net["dealers"]["SH-1"], net["trims"][0], [1])[0]
    page = client.get(f"/vehicles/{vin}")
    r = client.post(
        f"/vehicles/{vin}/inquiry",
        data={"message": "Is the colour right?", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/login?")
    login_page = client.get(r.headers["location"])
    done = client.post(
        "/login",
        data={
            "email": "buyer@test.dev",
            "password": f.PASSWORD,
            "csrf_token": csrf_of(login_page.text),
            "next": __import__("re")
            .search(r'name="next" value="([^"]+)"', login_page.text)
            .group(1)
            .replace("&amp;", "&"),
        },
    )
    assert done.status_code == 200 and "Is the colour right?</textarea>" in done.text


def test_staff_see_who_sets_the_webhook_and_buyers_see_no_api_link(client, db):
    f.network(db)
    assert 'href="/docs"' not in client.get("/").text  # the storefront's footer is for buyers
    _login(client, "staff@test.dev")
    page = client.get("/dealer/webhooks").text
    assert "Your manager sets its address" in page and "signed with the secret below" not in page
    assert 'href="/docs"' in page
