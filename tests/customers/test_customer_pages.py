"""One customer on a page: the dealer's view (own dealings only, 404 for someone else's
customer), the carmaker's view and look-up, the timeline's "older" link, readable event
words, and what a customer typed shown as text, never as markup."""

import datetime as dt
import re

import pytest
from babel.dates import format_date
from sqlalchemy import select, update

from motormall.customers import profile_pages
from motormall.customers.timeline_words import EVENT_WORDS, event_word
from motormall.platform import events
from motormall.platform.auth import Role, User, create_user
from tests import factories as f
from tests.orders import helpers as h
from tests.web.test_checkout import _login
from tests.web.test_pages import csrf_of

NASTY = '<script>alert("x")</script> Li & Wei'
PHONE = "+8613900139000"


def _buyer_id(db, email="buyer@test.dev"):
    with db.reading() as s:
        return s.scalar(select(User.id).where(User.email == email))


def _dealings(db, client):
    """The buyer asks SH-1 about one car (with a dealer's note) and reserves another there,
    and asks SH-2 about a third."""
    net, vins, buyer = h.setup(db, client)
    other = f.stock(db, net["dealers"]["SH-2"], net["trims"][1], [50], price="189000.00")[0]
    with db.transaction() as s:
        s.execute(
            update(User).where(User.email == "buyer@test.dev").values(name=NASTY, phone=PHONE)
        )
    lead = client.post(
        "/api/v1/leads", headers=buyer, json={"channel": "web", "vin": vins[0]}
    ).json()
    staff = f.token(client, net["users"]["staff"])
    r = client.post(
        f"/api/v1/leads/{lead['id']}/events",
        headers=staff,
        json={"type": "contacted", "note": "<img src=x onerror=alert(1)> call back"},
    )
    assert r.status_code == 200, r.text
    assert h.reserve(client, buyer, vins[1]).status_code == 201
    client.post("/api/v1/leads", headers=buyer, json={"channel": "web", "vin": other})
    return net, _buyer_id(db)


def _visible(html: str) -> str:
    """The page's text, tags and attributes gone (what a reader sees)."""
    return re.sub(r"<[^>]+>", " ", html)


def test_dealer_sees_only_own_dealings_and_another_dealers_customer_is_404(client, db):
    net, buyer_id = _dealings(db, client)
    _login(client, "staff@test.dev")  # SH-1
    r = client.get(f"/dealer/customers/{buyer_id}")
    assert r.status_code == 200, r.text
    page = r.text
    # who, how to call them, and what is due
    assert f'href="tel:{PHONE}"' in page
    assert 'id="due"' in page and "What is due" in page
    # the order with its status, linked
    assert re.search(r'href="/orders/\w+"', page) and "status-reserved" in page
    # readable words, not the stored names
    words = _visible(page)
    assert "Reserved a car" in words and "Dealer got in touch" in words
    assert "order.reserved" not in words and "lead.contacted" not in words
    # SH-2's inquiry is not SH-1's business
    assert "Dealer SH-2" not in page and "Mondeo" not in page
    # what the customer and the dealer typed is text
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page

    # SH-2 has dealt with the buyer too, but sees only its own inquiry
    client.cookies.clear()
    _login(client, "other@test.dev")
    theirs = client.get(f"/dealer/customers/{buyer_id}")
    assert theirs.status_code == 200
    assert "Mondeo" in theirs.text and "iX3" not in theirs.text
    assert "status-reserved" not in theirs.text and "call back" not in theirs.text

    # a dealer with no dealings: the customer does not exist for them
    with db.transaction() as s:
        create_user(
            s,
            email="nj@test.dev",
            password=f.PASSWORD,
            role=Role.dealer_staff,
            dealer_id=net["dealers"]["NJ-1"],
        )
    client.cookies.clear()
    _login(client, "nj@test.dev")
    assert client.get(f"/dealer/customers/{buyer_id}").status_code == 404
    assert client.get("/dealer/customers/nobody").status_code == 404
    # the carmaker's page is not theirs either
    assert client.get(f"/oem/customers/{buyer_id}", follow_redirects=False).status_code == 303


def test_carmaker_sees_everything_and_pages_back_with_older(client, db, monkeypatch):
    net, buyer_id = _dealings(db, client)
    admin = f.token(client, net["users"]["admin"])
    api = client.get(
        f"/api/v1/customers/{buyer_id}/timeline", headers=admin, params={"limit": 200}
    ).json()
    expected = [e["id"] for e in api["items"]]
    assert len(expected) >= 4  # more than one page of three

    monkeypatch.setattr(profile_pages, "PER_PAGE", 3)
    _login(client, "admin@test.dev")
    seen, url = [], f"/oem/customers/{buyer_id}"
    while url:
        r = client.get(url)
        assert r.status_code == 200, r.text
        ids = [int(i) for i in re.findall(r'data-event="(\d+)"', r.text)]
        assert 1 <= len(ids) <= 3
        seen += ids
        older = re.search(r'href="([^"]+)" id="older"', r.text)
        url = older.group(1).replace("&amp;", "&") if older else None
    assert seen == expected  # newest first, nothing twice, nothing left out
    # both dealers' dealings
    page = client.get(f"/oem/customers/{buyer_id}").text
    assert "Mondeo" in page and "iX3" in page
    # a cursor that is no number is refused, not a crash
    assert client.get(f"/oem/customers/{buyer_id}?before=abc").status_code == 422


def test_lookup_by_email_or_phone_however_written(client, db):
    net, buyer_id = _dealings(db, client)
    _login(client, "admin@test.dev")
    for q in ("139 0013 9000", "+86 139-0013-9000", "  BUYER@test.dev "):
        r = client.get("/oem/customers", params={"q": q}, follow_redirects=False)
        assert r.status_code == 303, q
        assert r.headers["location"] == f"/oem/customers/{buyer_id}"
    none = client.get("/oem/customers", params={"q": "nobody@test.dev"})
    assert none.status_code == 200 and 'id="none-found"' in none.text
    # two accounts with the same phone: both listed, each linked
    with db.transaction() as s:
        twin = create_user(
            s, email="twin@test.dev", password=f.PASSWORD, role=Role.customer, phone=PHONE
        ).id
    both = client.get("/oem/customers", params={"q": "13900139000"})
    assert both.status_code == 200
    assert f'href="/oem/customers/{buyer_id}"' in both.text
    assert f'href="/oem/customers/{twin}"' in both.text
    assert "&lt;script&gt;" in both.text and "<script>alert" not in both.text
    # once merged, the phone leads to the one customer
    dup = client.get("/oem/customers/duplicates")
    assert f'href="/oem/customers/{buyer_id}"' in dup.text
    r = client.post(
        "/oem/customers/duplicates/merge",
        data={"merged": twin, "into": buyer_id, "csrf_token": csrf_of(dup.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    one = client.get("/oem/customers", params={"q": "13900139000"}, follow_redirects=False)
    assert one.headers["location"] == f"/oem/customers/{buyer_id}"
    # dealers and strangers are sent to log in
    client.cookies.clear()
    _login(client, "staff@test.dev")
    assert client.get("/oem/customers", follow_redirects=False).status_code == 303


def test_dealer_portal_links_the_customer(client, db):
    net, buyer_id = _dealings(db, client)
    _login(client, "staff@test.dev")
    link = f'href="/dealer/customers/{buyer_id}"'
    assert link in client.get("/dealer/leads").text
    with db.reading() as s:
        from motormall.leads.models import Lead

        lead_id = s.scalar(
            select(Lead.id).where(
                Lead.customer_id == buyer_id, Lead.dealer_id == net["dealers"]["SH-1"]
            )
        )
    assert link in client.get(f"/leads/{lead_id}").text
    # the buyer reading their own inquiry gets no staff link
    client.cookies.clear()
    _login(client, "buyer@test.dev")
    assert "/dealer/customers/" not in client.get(f"/leads/{lead_id}").text


def _event_classes():
    todo, found = list(events.Event.__subclasses__()), []
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        found.append(cls)
    return found


def test_every_event_kind_has_a_readable_word():
    import motormall.handlers  # noqa: F401  loads every domain's events

    kinds = {c.type for c in _event_classes() if isinstance(c.__dict__.get("type"), str)}
    # kinds named at run time: a lead's steps and a payment's purposes
    from motormall.leads.service import EVENT_TYPES
    from motormall.payments.models import Purpose

    kinds |= {f"lead.{k}" for k in (*EVENT_TYPES, "inquiry_repeated")}
    kinds |= {f"payment.{p.value}_received" for p in Purpose}
    assert len(kinds) > 40
    assert sorted(kinds - EVENT_WORDS.keys()) == []
    assert event_word("order.something_new") == "Order"
    assert event_word("weird") == "Other activity"


@pytest.mark.parametrize("lang", ["zh_Hans"])
def test_customer_page_speaks_chinese(client, db, lang):
    _, buyer_id = _dealings(db, client)
    _login(client, "admin@test.dev")
    page = client.get(f"/oem/customers/{buyer_id}?lang={lang}").text
    assert "预订了一辆车" in page and "时间线" in page


def test_a_late_instalment_is_at_the_top_of_the_dealers_page(client, db):
    from motormall.finance.models import Instalment
    from tests.finance.test_collections import _contracted

    net, buyer, order, admin, _ = _contracted(client, db)
    with db.transaction() as s:
        s.execute(
            update(Instalment)
            .where(Instalment.order_id == order["id"], Instalment.n == 1)
            .values(status="late")
        )
    buyer_id = _buyer_id(db)
    prof = client.get(f"/api/v1/customers/{buyer_id}/profile", headers=admin).json()
    assert [i["status"] for i in prof["instalments"]][:2] == ["late", "upcoming"]
    _login(client, "staff@test.dev")
    page = client.get(f"/dealer/customers/{buyer_id}").text
    due = page[page.index('id="due"') : page.index('id="orders"')]
    assert "Instalment 1 is late" in due
    assert "Instalment 2" not in due  # a month away and more: not due yet
    # dates as the reader writes them, not ISO
    first = dt.date.fromisoformat(prof["instalments"][0]["due_date"])
    assert f"due on {format_date(first, 'medium', locale='en')}" in due
    zh = client.get(f"/dealer/customers/{buyer_id}?lang=zh_Hans").text
    assert f"{first.year}年{first.month}月{first.day}日" in zh
