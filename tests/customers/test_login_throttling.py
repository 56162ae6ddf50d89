"""Failed logins slow the guesser, not the owner nor the owner's neighbours (OWASP)."""

import threading

from motormall.platform.auth import LoginFailure, LoginLimits, authenticate
from motormall.platform.db import utcnow
from tests import factories as f
from tests.catalog.test_api import problem

BUYER = "buyer@test.dev"


def _guess(client, email, headers=None):
    return client.post(
        "/api/v1/auth/token", json={"email": email, "password": "wrong-guess"}, headers=headers
    )


def _login(client, email=BUYER, headers=None):
    return client.post(
        "/api/v1/auth/token", json={"email": email, "password": f.PASSWORD}, headers=headers
    )


def test_guesses_at_other_accounts_do_not_lock_out_a_neighbour_behind_the_same_address(
    client, db, settings
):
    f.network(db)
    for i in range(settings.login_failures_allowed * 3):  # 15 failures, 15 accounts, one address
        problem(_guess(client, f"someone{i}@test.dev"), 401, "invalid_credentials")
    assert _login(client).status_code == 200


def test_the_address_ceiling_still_holds_for_unknown_devices(client, db, settings):
    f.network(db)
    settings.login_address_failures_allowed = 4
    for i in range(4):
        problem(_guess(client, f"someone{i}@test.dev"), 401, "invalid_credentials")
    r = _login(client)
    problem(r, 429, "too_many_failed_logins")
    assert int(r.headers["retry-after"]) > 0


def test_a_device_that_logged_in_before_is_not_locked_out_by_a_guesser(client, db, settings):
    f.network(db)
    device = _login(client).json()["device_token"]
    for _ in range(settings.login_failures_allowed):
        problem(_guess(client, BUYER), 401, "invalid_credentials")
    problem(_login(client), 429, "too_many_failed_logins")  # the guesser, even when right
    r = _login(client, headers={"X-Device-Token": device})
    assert r.status_code == 200 and r.json()["access_token"]
    # the lockout message points at a flow that exists
    assert "reset your password" in _login(client).json()["detail"]


def test_a_known_device_gets_only_a_few_guesses_of_its_own(client, db, settings):
    f.network(db)
    device = {"X-Device-Token": _login(client).json()["device_token"]}
    for _ in range(settings.login_failures_allowed):
        problem(_guess(client, BUYER, device), 401, "invalid_credentials")
    problem(_login(client, headers=device), 429, "too_many_failed_logins")


def test_a_device_token_counts_only_for_its_own_account_and_only_when_signed(client, db, settings):
    net = f.network(db)
    device = _login(client).json()["device_token"]
    staff = net["users"]["staff"]
    for _ in range(settings.login_failures_allowed):
        _guess(client, staff)
    problem(_login(client, staff, {"X-Device-Token": device}), 429, "too_many_failed_logins")
    forged = device[:-4] + ("AAAA" if not device.endswith("AAAA") else "BBBB")
    for _ in range(settings.login_failures_allowed):
        _guess(client, BUYER)
    problem(_login(client, headers={"X-Device-Token": forged}), 429, "too_many_failed_logins")


def test_the_login_page_sets_a_device_cookie_that_exempts_the_browser(client, db, settings):
    from tests.web.test_pages import csrf_of

    f.network(db)
    form = {"email": BUYER, "password": f.PASSWORD, "next": "/"}
    form["csrf_token"] = csrf_of(client.get("/login").text)
    r = client.post("/login", data=form, follow_redirects=False)
    assert r.status_code == 303 and client.cookies.get("mm_device")
    device_cookie = client.cookies.get("mm_device")
    client.cookies.delete("mm_device")
    for _ in range(settings.login_failures_allowed):
        _guess(client, BUYER)
    form["csrf_token"] = csrf_of(client.get("/login").text)
    locked = client.post("/login", data=form, follow_redirects=False)
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    client.cookies.set("mm_device", device_cookie)
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303


def test_twenty_parallel_wrong_guesses_are_all_counted(db):
    """One UPDATE ... SET failures = failures + 1 per guess: none is lost on either database."""
    f.network(db)
    limits = LoginLimits(account_allowed=1000, address_allowed=1000, secret="k")
    start = threading.Barrier(20)
    errors = []

    def guess():
        try:
            start.wait()
            with db.transaction() as s:
                assert (
                    authenticate(
                        s,
                        email=BUYER,
                        password="wrong-guess",
                        address="203.0.113.7",
                        now=utcnow(),
                        limits=limits,
                    )
                    is None
                )
        except Exception as exc:  # reported below, with the thread's own error
            errors.append(exc)

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.reading() as s:
        assert s.get(LoginFailure, f"account:{BUYER}").failures == 20
        assert s.get(LoginFailure, "address:203.0.113.7").failures == 20


def test_registration_is_throttled_per_address(client, db, settings):
    settings.registrations_per_address = 3
    new = {
        "password": "long-enough-1",
        "name": "Chen Jie",
        "phone": "138 0013 8000",
        "city": "Shanghai",
    }
    assert (
        client.post("/api/v1/auth/register", json={**new, "email": "a@test.dev"}).status_code == 201
    )
    problem(
        client.post("/api/v1/auth/register", json={**new, "email": "a@test.dev"}),
        409,
        "already_exists",
    )
    assert (
        client.post("/api/v1/auth/register", json={**new, "email": "b@test.dev"}).status_code == 201
    )
    r = client.post("/api/v1/auth/register", json={**new, "email": "a@test.dev"})
    problem(r, 429, "too_many_requests")
    assert int(r.headers["retry-after"]) > 0


def test_behind_our_own_proxy_each_caller_has_its_own_address_budget(client, db, settings):
    """With MOTORMALL_TRUST_PROXY every request comes from the balancer: the address that
    counts is the one the balancer adds to X-Forwarded-For (right-most), so a guesser does
    not lock out everyone else behind it."""
    f.network(db)
    settings.trust_proxy = True
    settings.login_address_failures_allowed = 4
    guesser = {"X-Forwarded-For": "198.51.100.7"}
    for i in range(4):
        problem(_guess(client, f"someone{i}@test.dev", guesser), 401, "invalid_credentials")
    problem(_login(client, headers=guesser), 429, "too_many_failed_logins")
    # what the client itself wrote before the balancer's entry is not believed
    spoofed = {"X-Forwarded-For": "203.0.113.9, 198.51.100.7"}
    problem(_login(client, headers=spoofed), 429, "too_many_failed_logins")
    assert _login(client, headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 200
