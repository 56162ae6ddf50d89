"""The customer's inbox: written with the fact, their own only, newest first, in their language."""

import pytest

from motormall.notifications import service
from tests import factories as f
from tests.catalog.test_api import problem
from tests.web.test_pages import csrf_of

NEW = {
    "email": "chen.jie@example.com",
    "password": "long-enough-1",
    "name": "Chen Jie",
    "phone": "138 0013 8000",
    "city": "Shanghai",
}


def _register(client, **change):
    body = {**NEW, **change}
    assert client.post("/api/v1/auth/register", json=body).status_code == 201
    return f.token(client, body["email"], body["password"])


def test_registering_leaves_a_welcome_in_the_inbox(client, db):
    token = _register(client)
    inbox = client.get("/api/v1/me/notifications", headers=token).json()
    assert inbox["next_cursor"] is None and inbox["unread"] == 1
    (item,) = inbox["items"]
    assert item["kind"] == "welcome" and item["title"] == "Welcome to motormall"
    assert "Hello Chen Jie" in item["body"] and item["link"] == "/search"
    assert item["read_at"] is None and item["created_at"]
    assert set(item) == {"id", "kind", "title", "body", "link", "created_at", "read_at"}


def test_a_chinese_speaking_customer_reads_chinese(client, db):
    token = _register(client, locale="zh-CN")
    assert client.get("/api/v1/me", headers=token).json()["locale"] == "zh-CN"
    (item,) = client.get("/api/v1/me/notifications", headers=token).json()["items"]
    assert item["title"] == "欢迎来到 motormall" and "Chen Jie，您好" in item["body"]


def test_newest_first_with_a_cursor_and_only_ones_own(client, db):
    net = f.network(db)
    buyer = f.token(client, net["users"]["customer"])
    buyer_id = client.get("/api/v1/me", headers=buyer).json()["id"]
    with db.transaction() as s:
        for name in ("one", "two", "three"):
            service.notify(s, buyer_id, "welcome", name=name)
    page = client.get("/api/v1/me/notifications?limit=2", headers=buyer).json()
    assert [i["body"].split(",")[0] for i in page["items"]] == ["Hello three", "Hello two"]
    rest = client.get(
        f"/api/v1/me/notifications?limit=2&cursor={page['next_cursor']}", headers=buyer
    ).json()
    assert [i["body"].split(",")[0] for i in rest["items"]] == ["Hello one"]
    assert rest["next_cursor"] is None
    stranger = _register(client)  # has only its own welcome
    theirs = client.get("/api/v1/me/notifications", headers=stranger).json()["items"]
    assert [i["kind"] for i in theirs] == ["welcome"] and "Chen Jie" in theirs[0]["body"]
    problem(
        client.post(f"/api/v1/me/notifications/{page['items'][0]['id']}/read", headers=stranger),
        404,
        "not_found",
    )
    problem(client.get("/api/v1/me/notifications?cursor=abc", headers=buyer), 422, "invalid_cursor")


def test_marking_read(client, db):
    token = _register(client)
    (item,) = client.get("/api/v1/me/notifications", headers=token).json()["items"]
    r = client.post(f"/api/v1/me/notifications/{item['id']}/read", headers=token)
    assert r.status_code == 200 and r.json()["read_at"]
    again = client.post(f"/api/v1/me/notifications/{item['id']}/read", headers=token).json()
    assert again["read_at"] == r.json()["read_at"]
    assert client.get("/api/v1/me/notifications", headers=token).json()["unread"] == 0
    problem(client.post("/api/v1/me/notifications/99999999/read", headers=token), 404, "not_found")
    assert client.get("/api/v1/me/notifications").status_code == 401


def test_a_rolled_back_fact_leaves_no_message(client, db):
    net = f.network(db)
    buyer = f.token(client, net["users"]["customer"])
    buyer_id = client.get("/api/v1/me", headers=buyer).json()["id"]
    with pytest.raises(RuntimeError), db.transaction() as s:
        service.notify(s, buyer_id, "welcome", name="never")
        raise RuntimeError("the fact failed")
    assert client.get("/api/v1/me/notifications", headers=buyer).json()["items"] == []


def test_the_inbox_page_shows_an_unread_count_and_reading_it_clears_it(client, db):
    page = client.get("/register")
    r = client.post(
        "/register",
        data={**NEW, "csrf_token": csrf_of(page.text)},
        headers={"Accept-Language": "zh-CN"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    home = client.get("/", headers={"Accept-Language": "zh-CN"}).text
    assert 'id="nav-inbox"' in home and "1 条未读消息" in home
    inbox = client.get("/notifications", headers={"Accept-Language": "zh-CN"})
    assert inbox.status_code == 200 and "欢迎来到 motormall" in inbox.text
    assert 'class="message unread"' in inbox.text  # shown as new the first time
    home = client.get("/").text
    assert 'id="nav-inbox"' in home and "unread message" not in home
    assert 'class="message unread"' not in client.get("/notifications").text
    # English page, same stored message: rendered in the page's language
    assert "Welcome to motormall" in client.get("/notifications?lang=en").text


def test_the_inbox_page_needs_a_login(client, db):
    r = client.get("/notifications", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
