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
    assert refused.status_code == 409 and "Say why" in refused.text


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
