"""Password reset through the outbox: one-time, expiring, hashed; the same answer for anyone."""

import datetime as dt
import re

import pytest
from sqlalchemy import select

from motormall.customers import passwords
from motormall.customers.models import PasswordResetToken
from motormall.notifications.models import Notification
from motormall.platform.audit import AuditEntry
from motormall.platform.db import utcnow
from tests import factories as f
from tests.catalog.test_api import problem
from tests.notifications.smtp import SmtpServer, text_of
from tests.web.test_pages import csrf_of

BUYER = "buyer@test.dev"
NEW_PASSWORD = "a-brand-new-secret-7"


@pytest.fixture
def smtp(settings):
    server = SmtpServer().start()
    settings.smtp_url = server.url
    yield server
    server.stop()


def _ask(client, email):
    return client.post("/api/v1/auth/password-reset", json={"email": email})


def _token_from(mail) -> str:
    return re.search(r"/password-reset/new\?token=([\w-]+)", text_of(mail)).group(1)


def test_reset_by_e_mail_then_log_in_with_the_new_password(client, db, smtp, settings):
    f.network(db)
    old = f.token(client, BUYER)
    known, unknown = _ask(client, BUYER), _ask(client, "nobody@test.dev")
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    (mail,) = smtp.messages  # nothing went to the unknown address
    assert mail["To"] == BUYER and "reset" in mail["Subject"].lower()
    token = _token_from(mail)
    with db.reading() as s:
        (row,) = s.scalars(select(PasswordResetToken)).all()
        assert row.token_hash != token and len(row.token_hash) == 64  # only the hash is kept
        note = s.scalars(select(Notification).where(Notification.kind == "password_reset")).one()
        assert note.params == {} and note.link is None  # no copy of the link once sent
        assert not note.in_inbox

    r = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )
    assert r.status_code == 204
    problem(client.get("/api/v1/me", headers=old), 401, "token_revoked")
    problem(
        client.post("/api/v1/auth/token", json={"email": BUYER, "password": f.PASSWORD}),
        401,
        "invalid_credentials",
    )
    fresh = f.token(client, BUYER, NEW_PASSWORD)
    kinds = [
        i["kind"] for i in client.get("/api/v1/me/notifications", headers=fresh).json()["items"]
    ]
    assert kinds == ["password_changed"]
    assert "changed" in smtp.messages[-1]["Subject"]
    with db.reading() as s:
        actions = set(s.scalars(select(AuditEntry.action)))
    assert {"user.password_reset_requested", "user.password_reset"} <= actions
    # the link works once
    problem(
        client.post(
            "/api/v1/auth/password-reset/confirm",
            json={"token": token, "password": "another-one-9x"},
        ),
        422,
        "reset_token_invalid",
    )


def test_a_reset_revokes_every_other_link_and_survives_a_weak_choice(client, db, smtp):
    f.network(db)
    _ask(client, BUYER)
    _ask(client, BUYER)
    first, second = (_token_from(m) for m in smtp.messages)
    problem(
        client.post(
            "/api/v1/auth/password-reset/confirm", json={"token": first, "password": "password1"}
        ),
        422,
        "weak_password",
    )
    ok = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": first, "password": NEW_PASSWORD}
    )
    assert ok.status_code == 204  # the weak try did not spend the link
    problem(
        client.post(
            "/api/v1/auth/password-reset/confirm", json={"token": second, "password": NEW_PASSWORD}
        ),
        422,
        "reset_token_invalid",
    )


def test_an_expired_link_does_not_work(client, db, smtp):
    f.network(db)
    with db.transaction() as s:
        passwords.request_reset(
            s, BUYER, now=utcnow() - dt.timedelta(minutes=61), ttl_minutes=60, window_s=3600
        )
    (mail,) = smtp.messages
    problem(
        client.post(
            "/api/v1/auth/password-reset/confirm",
            json={"token": _token_from(mail), "password": NEW_PASSWORD},
        ),
        422,
        "reset_token_invalid",
    )


def test_a_reset_lifts_the_lock_and_the_lockout_message_points_to_it(client, db, smtp, settings):
    f.network(db)
    for _ in range(settings.login_failures_allowed):
        client.post("/api/v1/auth/token", json={"email": BUYER, "password": "wrong-guess"})
    locked = client.post("/api/v1/auth/token", json={"email": BUYER, "password": f.PASSWORD})
    assert locked.status_code == 429 and "reset your password" in locked.json()["detail"]
    _ask(client, BUYER)
    client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": _token_from(smtp.messages[0]), "password": NEW_PASSWORD},
    )
    assert f.token(client, BUYER, NEW_PASSWORD)


def test_reset_requests_are_capped_per_account_and_per_address(client, db, smtp, settings):
    f.network(db)
    for _ in range(passwords.RESETS_PER_ACCOUNT + 2):
        assert _ask(client, BUYER).status_code == 202  # the answer never changes
    assert len(smtp.messages) == passwords.RESETS_PER_ACCOUNT
    settings.registrations_per_address = passwords.RESETS_PER_ACCOUNT + 2
    problem(_ask(client, "nobody@test.dev"), 429, "too_many_requests")


def test_the_reset_pages(client, db, smtp):
    f.network(db)
    login = client.get("/login")
    assert 'href="/password-reset"' in login.text
    page = client.get("/password-reset")
    r = client.post("/password-reset", data={"email": BUYER, "csrf_token": csrf_of(page.text)})
    assert r.status_code == 200 and 'id="reset-sent"' in r.text
    link = re.search(r"(/password-reset/new\?token=[\w-]+)", text_of(smtp.messages[0])).group(1)
    form = client.get(link)
    token = re.search(r'name="token" value="([\w-]+)"', form.text).group(1)
    weak = client.post(
        "/password-reset/new",
        data={"token": token, "password": "12345678", "csrf_token": csrf_of(form.text)},
    )
    assert weak.status_code == 422 and "stronger" in weak.text
    done = client.post(
        "/password-reset/new",
        data={"token": token, "password": NEW_PASSWORD, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/login?reset=1"
    assert "Log in with the new one" in client.get("/login?reset=1").text
    assert f.token(client, BUYER, NEW_PASSWORD)
