"""The in-process token cache: a live token skips the database for a few seconds, a revocation
is honoured at once in the revoking process and within `token_cache_s` in the others."""

import datetime as dt

import pytest
from sqlalchemy import update

from motormall.platform import auth
from motormall.platform.auth import AccessToken, Role, create_user, token_cache
from tests import factories as f


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(token_cache, "clock", c)
    token_cache.clear()
    yield c
    token_cache.clear()


@pytest.fixture
def buyer(db):
    with db.transaction() as s:
        create_user(s, email="buyer@example.com", password=f.PASSWORD, role=Role.customer)
    return "buyer@example.com"


def _revoke_elsewhere(db):
    """What another server process's logout leaves in the shared database."""
    with db.transaction() as s:
        s.execute(update(AccessToken).values(revoked_at=dt.datetime.now(dt.UTC)))


def test_a_token_revoked_by_another_process_is_refused_once_the_cache_lapses(
    client, db, settings, buyer, clock
):
    headers = f.token(client, buyer)
    assert client.get("/api/v1/me", headers=headers).status_code == 200  # now cached
    _revoke_elsewhere(db)
    clock.now += settings.token_cache_s - 0.5
    assert client.get("/api/v1/me", headers=headers).status_code == 200  # believed a while
    clock.now += 0.5
    r = client.get("/api/v1/me", headers=headers)
    assert r.status_code == 401 and r.json()["code"] == "token_revoked"


def test_a_logout_is_refused_at_once_in_the_process_that_made_it(client, buyer, clock):
    headers = f.token(client, buyer)
    assert client.get("/api/v1/me", headers=headers).status_code == 200  # now cached
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    r = client.get("/api/v1/me", headers=headers)
    assert r.status_code == 401 and r.json()["code"] == "token_revoked"


def test_a_new_password_ends_every_cached_token_of_the_account_at_once(client, db, buyer, clock):
    first, second = f.token(client, buyer), f.token(client, buyer)
    for headers in (first, second):
        assert client.get("/api/v1/me", headers=headers).status_code == 200
    with db.transaction() as s:
        user = s.scalar(auth.select(auth.User).where(auth.User.email == buyer))
        auth.set_password(s, user, "another-Horse-42", now=dt.datetime.now(dt.UTC))
    for headers in (first, second):
        assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_token_read_while_its_revocation_was_in_flight_is_forgotten_at_commit(
    client, db, buyer, clock
):
    headers = f.token(client, buyer)
    token = headers["Authorization"].removeprefix("Bearer ")
    with db.transaction() as s:
        auth.revoke_token(s, token, now=dt.datetime.now(dt.UTC))
        # a concurrent request reads the row before this commits and caches it as live
        with db.reading() as other:
            auth.principal_for_token(other, token, now=dt.datetime.now(dt.UTC), cache_s=5)
    r = client.get("/api/v1/me", headers=headers)
    assert r.status_code == 401 and r.json()["code"] == "token_revoked"


def test_an_expired_token_is_refused_even_while_cached(db, buyer, clock):
    with db.transaction() as s:
        user = s.scalar(auth.select(auth.User).where(auth.User.email == buyer))
        now = dt.datetime.now(dt.UTC)
        token = auth.issue_token(s, user, ttl=dt.timedelta(seconds=60), now=now)
    with db.reading() as s:
        assert auth.principal_for_token(s, token, now=now, cache_s=5).email == buyer
        with pytest.raises(auth.Unauthenticated) as err:
            auth.principal_for_token(s, token, now=now + dt.timedelta(seconds=61), cache_s=5)
    assert err.value.code == "token_expired"


def test_with_the_cache_off_every_request_reads_the_token(client, db, settings, buyer, clock):
    settings.token_cache_s = 0
    headers = f.token(client, buyer)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    _revoke_elsewhere(db)
    assert client.get("/api/v1/me", headers=headers).status_code == 401
