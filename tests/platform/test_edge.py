"""The edge every reply passes: the unhandled-error reply, the body cap on the stream itself,
per-address limits, /metrics behind a token, HSTS and no-store."""

import asyncio
import json
import logging
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from motormall.app import create_app
from motormall.platform.http import REQUESTS, EdgeMiddleware
from motormall.vision import intake
from tests import factories as f
from tests.catalog.test_api import problem


def _client(db, settings, **changes):
    return TestClient(create_app(settings.model_copy(update=changes), db, run_jobs=False))


def test_an_unhandled_error_is_a_problem_with_the_usual_headers_log_line_and_metric(app, caplog):
    def broken():
        raise RuntimeError("a bug")

    app.add_api_route("/api/v1/broken", broken)
    before = REQUESTS.labels("GET", "500")._value.get()
    with caplog.at_level(logging.INFO, logger="motormall.http"), TestClient(app) as client:
        r = client.get("/api/v1/broken")
    body = problem(r, 500, "internal_error")
    assert "a bug" not in body["detail"]
    assert len(r.headers["x-request-id"]) == 16
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert REQUESTS.labels("GET", "500")._value.get() == before + 1
    access = [m for m in caplog.messages if '"status": 500' in m]
    assert access and r.headers["x-request-id"] in access[0] and "/api/v1/broken" in access[0]


async def _post_chunks(app, path: str, total: int, content_type: str, prefix=b"", chunk=64 * 1024):
    """POST `total` bytes without Content-Length, straight into the ASGI app, as a server
    would pass them on; returns (status, body, bytes the app asked for)."""
    taken, replies = 0, []

    async def receive():
        nonlocal taken
        if taken >= total:
            return {"type": "http.disconnect"}
        data = (prefix if taken == 0 else b"") + b"\0" * chunk
        taken += len(data)
        return {"type": "http.request", "body": data, "more_body": taken < total}

    async def send(message):
        replies.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-type", content_type.encode())],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    await app(scope, receive, send)
    start = next(m for m in replies if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in replies if m["type"] == "http.response.body")
    return start["status"], json.loads(body), taken


def _run(coroutine):
    # on a thread of its own: a browser test's Playwright may own this thread's event loop
    with ThreadPoolExecutor(max_workers=1) as runner:
        return runner.submit(asyncio.run, coroutine).result()


def test_a_chunked_body_is_cut_off_at_the_cap_without_being_read_to_the_end(app, settings):
    status, body, taken = _run(
        _post_chunks(app, "/api/v1/payments/notify/sandbox", 300 * 1024 * 1024, "text/plain")
    )
    assert (status, body["code"]) == (413, "payload_too_large")
    assert taken <= settings.max_upload_bytes + 65_536 + 64 * 1024


def test_a_chunked_photo_over_the_cap_is_the_contracts_image_too_large(app):
    status, body, taken = _run(
        _post_chunks(
            app,
            "/api/v1/search/photo",
            300 * 1024 * 1024,
            "multipart/form-data; boundary=xyz",
            prefix=b'--xyz\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n'
            b"Content-Type: image/png\r\n\r\n",
        )
    )
    assert (status, body["code"]) == (422, "image_too_large")
    assert taken <= intake.MAX_BYTES + 65_536 + 64 * 1024


def test_photo_search_is_limited_per_address(db, settings):
    with _client(db, settings, photo_searches_per_minute=2) as client:
        files = {"image": ("x.jpg", b"not a photo", "image/jpeg")}
        for _ in range(2):
            problem(client.post("/api/v1/search/photo", files=files), 422, "not_an_image")
        r = client.post("/api/v1/search/photo", files=files)
        problem(r, 429, "rate_limited")
        assert 1 <= int(r.headers["retry-after"]) <= 60
        assert r.headers["x-request-id"]
        page = client.post("/find", files=files)  # one budget; a page route gets a page
        assert page.status_code == 429 and page.headers["content-type"].startswith("text/html")
        assert page.headers["retry-after"] and "Too many tries" in page.text
    off = settings.model_copy(update={"photo_searches_per_minute": 2, "rate_limits": "off"})
    with TestClient(create_app(off, db, run_jobs=False)) as client:
        for _ in range(4):
            problem(client.post("/api/v1/search/photo", files=files), 422, "not_an_image")


def test_registration_is_limited_per_address(db, settings):
    # counted before the form is read: a flood of any bodies costs the address its budget
    with _client(db, settings, registrations_per_hour=2) as client:
        for _ in range(2):
            problem(client.post("/api/v1/auth/register", json={}), 422, "validation_error")
        problem(client.post("/api/v1/auth/register", json={}), 429, "rate_limited")
        assert client.post("/register", data={}).status_code == 429


def test_metrics_want_the_token_when_one_is_set(db, settings):
    with _client(db, settings, metrics_token="s3cret-metrics") as client:
        problem(client.get("/metrics"), 401, "metrics_token_required")
        problem(
            client.get("/metrics", headers={"Authorization": "Bearer wrong"}),
            401,
            "metrics_token_required",
        )
        r = client.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics"})
        assert r.status_code == 200 and "motormall_http_requests_total" in r.text
    with _client(db, settings) as client:
        assert client.get("/metrics").status_code == 200


@pytest.mark.parametrize("trust_proxy", [False, True])
def test_hsts_only_over_https(db, settings, trust_proxy):
    with _client(db, settings, trust_proxy=trust_proxy) as client:
        assert "strict-transport-security" not in client.get("/healthz").headers
        forwarded = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
        assert ("strict-transport-security" in forwarded.headers) is trust_proxy
    app = create_app(settings, db, run_jobs=False)
    with TestClient(app, base_url="https://testserver") as client:
        hsts = client.get("/healthz").headers["strict-transport-security"]
        assert hsts.startswith("max-age=31536000")


def test_personal_replies_are_not_stored_by_caches(client, db):
    net = f.network(db)
    buyer = f.token(client, net["users"]["customer"])
    assert client.get("/api/v1/me", headers=buyer).headers["cache-control"] == "no-store"
    assert "no-store" not in client.get("/api/v1/vehicles").headers.get("cache-control", "")
    client.cookies.set("mm_session", "anything")
    assert client.get("/").headers["cache-control"] == "no-store"


def test_a_route_that_takes_its_own_slot_is_let_in_while_the_slots_are_taken():
    """`gated_by_route`: a flash sale's refused buyers must not queue behind its writers."""

    async def main():
        slow_in, release = asyncio.Event(), asyncio.Event()
        seen = {}

        async def inner(scope, receive, send):
            if scope["path"] == "/slow":
                slow_in.set()
                await release.wait()
            if scope["path"] == "/mine":
                seen["slot_free"] = not scope["state"]["in_flight"].locked()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b""})

        edge = EdgeMiddleware(
            inner,
            max_body_bytes=1_000,
            max_in_flight=1,
            gated_by_route=frozenset({("POST", "/mine")}),
        )

        async def call(method, path):
            statuses = []

            async def receive():
                return {"type": "http.request", "body": b"", "more_body": False}

            async def send(message):
                if message["type"] == "http.response.start":
                    statuses.append(message["status"])

            scope = {"type": "http", "method": method, "path": path, "headers": []}
            await edge(scope, receive, send)
            return statuses[0]

        slow = asyncio.ensure_future(call("GET", "/slow"))
        await slow_in.wait()  # the one slot is taken
        assert await asyncio.wait_for(call("POST", "/mine"), 5) == 200
        assert seen["slot_free"] is False  # the route's own slot would wait for /slow
        other = asyncio.ensure_future(call("GET", "/other"))
        await asyncio.sleep(0.2)
        assert not other.done()  # any other route waits at the edge
        release.set()
        assert await slow == 200 and await asyncio.wait_for(other, 5) == 200

    with ThreadPoolExecutor(max_workers=1) as runner:  # Playwright may own this thread's loop
        runner.submit(asyncio.run, main()).result()
