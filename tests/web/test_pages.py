"""Pages over HTTP: language, prices per locale, login with CSRF, staff homes."""

import re

import pytest

from tests import factories as f


@pytest.fixture
def stocked(db):
    net = f.network(db)
    f.stock(db, net["dealers"]["SH-1"], net["trims"][0], range(1, 4), price="268000.00")
    return net


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', html).group(1)


def test_search_page_lists_cars_with_prices_per_locale(client, stocked):
    r = client.get("/search?brand=BMW&city=Shanghai")
    assert r.status_code == 200
    assert r.text.count('class="card"') == 3
    assert "CN¥268,000" in r.text
    assert "3 cars match" in r.text and 'id="filters-toggle"' in r.text  # the phone's button
    assert "content-security-policy" in r.headers
    r = client.get("/search?brand=BMW&city=Shanghai", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="zh-Hans">' in r.text and "¥268,000" in r.text and "找车" in r.text


def test_language_switch_sets_a_cookie_and_stays_on_the_page(client, stocked):
    r = client.get("/lang/zh_Hans?next=/search", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/search"
    assert "mm_lang=zh_Hans" in r.headers["set-cookie"]
    assert (
        client.get("/lang/en?next=https://evil.example", follow_redirects=False).headers["location"]
        == "/"
    )


def test_vehicle_page(client, stocked):
    r = client.get(f"/vehicles/{f.vin(1)}")
    assert r.status_code == 200 and f.vin(1) in r.text and "Electric" in r.text
    assert client.get(f"/vehicles/{f.vin(99)}").status_code == 404


def test_login_needs_csrf_and_sets_a_safe_cookie(client, stocked):
    page = client.get("/login")
    r = client.post(
        "/login", data={"email": "manager@test.dev", "password": f.PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 400  # no CSRF token
    r = client.post(
        "/login",
        data={
            "email": "manager@test.dev",
            "password": f.PASSWORD,
            "csrf_token": csrf_of(page.text),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/dealer"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    portal = client.get("/dealer")
    assert "Dealer SH-1" in portal.text and "Import stock" in portal.text
    # the session cookie does not authenticate the JSON API
    assert client.get("/api/v1/me").status_code == 401


def test_dealer_portal_redirects_strangers_to_login(client, stocked):
    r = client.get("/dealer", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_register_page_creates_a_customer(client, stocked):
    page = client.get("/register")
    r = client.post(
        "/register",
        data={
            "email": "new@test.dev",
            "password": "long-enough-1",
            "name": "Chen Jie",
            "phone": "13800138000",
            "city": "Shanghai",
            "csrf_token": csrf_of(page.text),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    token = f.token(client, "new@test.dev", "long-enough-1")
    me = client.get("/api/v1/me", headers=token).json()
    assert me["phone"] == "+8613800138000" and me["role"] == "customer"


def test_oem_console_shows_the_ledger_and_lead_conversion(client, db, stocked):
    page = client.get("/login")
    client.post(
        "/login",
        data={"email": "admin@test.dev", "password": f.PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    buyer = f.token(client, "buyer@test.dev")
    client.post(
        "/api/v1/leads",
        headers=buyer,
        json={"channel": "web", "model_id": stocked["models"][0], "near": "31.22,121.54"},
    )
    # money in the books first: "balanced" on an empty ledger proves nothing
    from tests.orders import helpers as h

    vin = f.stock(db, stocked["dealers"]["SH-1"], stocked["trims"][0], [9])[0]
    order = h.reserve(client, buyer, vin).json()
    h.pay(client, db, buyer, order["id"], "deposit", "5000.00")
    console = client.get("/oem")
    assert console.status_code == 200
    assert 'id="ledger-status" class="ok"' in console.text
    assert '<td>Customer deposits</td><td class="amount">-CN¥5,000</td>' in console.text
    assert "<td>Dealer SH-1</td><td>1</td>" in console.text  # dealers by name
    # and the console does say so when the books stop balancing
    from motormall.payments.ledger import LedgerPosting, LedgerTransaction

    with db.transaction() as s:
        txn = LedgerTransaction(kind="broken", currency="CNY")
        s.add(txn)
        s.flush()
        s.add(LedgerPosting(transaction_id=txn.id, account="x", debit=1, currency="CNY"))
    assert 'id="ledger-status" class="error"' in client.get("/oem").text


def test_page_routes_answer_with_pages_in_the_readers_language(client, stocked):
    zh = {"Accept-Language": "zh-CN"}
    missing = client.get("/no-such-page", headers=zh)
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "此地址没有页面" in missing.text and '<html lang="zh-Hans">' in missing.text
    # a form sent empty past the browser's own checks
    empty = client.post("/login", data={})
    assert empty.status_code == 422 and empty.headers["content-type"].startswith("text/html")
    assert "check it and try again" in empty.text
    # a photo over the limit, refused at the edge before the app reads it
    big = client.post(
        "/find", files={"image": ("big.jpg", b"\xff" * (40 * 1024 * 1024), "image/jpeg")}
    )
    assert big.status_code == 422 and big.headers["content-type"].startswith("text/html")
    assert "The photo is too large" in big.text and 'href="/login"' in big.text
    # signed in: the edge cannot tell who, so it does not offer to log in again
    client.cookies.set("mm_session", "some-session")
    big = client.post(
        "/find", files={"image": ("big.jpg", b"\xff" * (40 * 1024 * 1024), "image/jpeg")}
    )
    assert big.status_code == 422 and 'href="/login"' not in big.text
    client.cookies.clear()
    # the API keeps its problem+json
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
