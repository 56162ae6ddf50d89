"""Guessable passwords are refused, and the CSRF seed changes when the person does."""

import pytest

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


@pytest.mark.parametrize(
    "password", ["password", "12345678", "chen.jie@example.com", "chenjie2024", "qwertyuiop"]
)
def test_trivial_passwords_are_refused(client, db, password):
    body = problem(
        client.post("/api/v1/auth/register", json={**NEW, "password": password}),
        422,
        "weak_password",
    )
    assert "stronger" in body["detail"]


def test_the_register_page_refuses_a_trivial_password(client, db):
    page = client.get("/register")
    r = client.post(
        "/register",
        data={**NEW, "password": "12345678", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 422 and "stronger" in r.text


def test_a_strong_password_is_kept(client, db):
    assert client.post("/api/v1/auth/register", json=NEW).status_code == 201


def test_the_csrf_seed_is_rotated_at_login_and_logout(client, db):
    f.network(db)
    page = client.get("/login")
    before = client.cookies.get("mm_csrf")
    old_token = csrf_of(page.text)
    r = client.post(
        "/login",
        data={"email": "buyer@test.dev", "password": f.PASSWORD, "csrf_token": old_token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    after = client.cookies.get("mm_csrf")
    assert after and after != before
    # a token read before the login no longer works after it
    r = client.post("/logout", data={"csrf_token": old_token}, follow_redirects=False)
    assert r.status_code == 403
    fresh = csrf_of(client.get("/").text)
    assert (
        client.post("/logout", data={"csrf_token": fresh}, follow_redirects=False).status_code
        == 303
    )
    assert client.cookies.get("mm_csrf") not in {before, after}
