"""The storefront's membership page: join a brand with a button, see tier and points."""

from tests import factories as f
from tests.web.test_pages import csrf_of


def _login(client, email):
    page = client.get("/login")
    r = client.post(
        "/login", data={"email": email, "password": f.PASSWORD, "csrf_token": csrf_of(page.text)}
    )
    assert r.status_code in (200, 303), r.text


def test_join_from_the_membership_page(client, db):
    f.network(db)
    assert client.get("/memberships", follow_redirects=False).status_code == 303
    _login(client, "buyer@test.dev")
    page = client.get("/memberships")
    assert page.status_code == 200 and 'data-join="BMW"' in page.text
    r = client.post(
        "/memberships/join",
        data={"brand": "BMW", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get("/memberships")
    assert 'data-brand="BMW"' in page.text and 'data-join="BMW"' not in page.text
    assert 'data-join="FORD"' in page.text
    r = client.post("/memberships/join", data={"brand": "BMW", "csrf_token": csrf_of(page.text)})
    assert r.status_code == 409 and "already a BMW member" in r.text
    r = client.post("/memberships/join", data={"brand": "FORD", "csrf_token": "forged"})
    assert r.status_code == 403
    zh = client.get("/memberships", headers={"Accept-Language": "zh-CN"}).text
    assert "可用积分" in zh and "加入 Ford 会员" in zh
