"""One pure-ASGI middleware for every response: request id, security headers, an upload size
cap checked before the body is read, access log lines as JSON, and Prometheus metrics."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Callable

from prometheus_client import Counter, Histogram

log = logging.getLogger("motormall.http")

REQUESTS = Counter("motormall_http_requests_total", "HTTP requests", ["method", "status"])
LATENCY = Histogram(
    "motormall_http_request_seconds",
    "HTTP request latency",
    ["method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)

UNGATED = {"/healthz", "/metrics", "/favicon.ico"}
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
        b"script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
    ),
]
# /docs starts Swagger UI (our own copy under /static) with an inline script
DOCS_CSP = (
    b"content-security-policy",
    b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    b"script-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
)


class EdgeMiddleware:
    def __init__(
        self,
        app,
        *,
        max_body_bytes: int,
        max_in_flight: int,
        photo_limit: Callable[[str], int | None] = lambda _path: None,
    ):
        self.app = app
        self.max_body_bytes = max_body_bytes
        # photo uploads have their own limit, and an oversized photo is 422 image_too_large
        # like any other photo we cannot take (the contract's answer for "too large")
        self.photo_limit = photo_limit
        # At most as many requests inside the app as there are database connections: the
        # rest wait here, on the event loop. Without it a burst fills the thread pool with
        # requests waiting for connections that other requests hold until a thread frees up
        # to serialise their reply, and the worker stalls until the pool times out.
        self.max_in_flight = max_in_flight
        self._gate: asyncio.Semaphore | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        request_id = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        status_holder = {"status": 500}
        is_docs = scope["path"] in {"/docs", "/redoc"}

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = [
                    h for h in message.get("headers", []) if h[0].lower() not in {b"x-request-id"}
                ]
                headers.append((b"x-request-id", request_id.encode()))
                present = {h[0].lower() for h in headers}
                for name, value in SECURITY_HEADERS:
                    if name == b"content-security-policy" and is_docs:
                        name, value = DOCS_CSP
                    if name not in present:
                        headers.append((name, value))
                message["headers"] = headers
            await send(message)

        length = dict(scope.get("headers", [])).get(b"content-length")
        photo_limit = self.photo_limit(scope["path"])
        limit = photo_limit or self.max_body_bytes
        if length is not None and length.isdigit() and int(length) > limit:
            if photo_limit:
                await _problem(
                    send_wrapper,
                    422,
                    "image_too_large",
                    f"The upload is over {limit // 1_000_000} MB; send a smaller photo.",
                )
            else:
                await _problem(
                    send_wrapper,
                    413,
                    "payload_too_large",
                    f"The request body is over {limit // 1_000_000} MB.",
                )
        elif scope["path"] in UNGATED or scope["path"].startswith(("/static/", "/media/")):
            await self.app(scope, receive, send_wrapper)
        else:
            if self._gate is None:  # made lazily: it belongs to the server's event loop
                self._gate = asyncio.Semaphore(self.max_in_flight)
            async with self._gate:
                await self.app(scope, receive, send_wrapper)
        elapsed = time.perf_counter() - started
        REQUESTS.labels(scope["method"], str(status_holder["status"])).inc()
        LATENCY.labels(scope["method"]).observe(elapsed)
        if log.isEnabledFor(logging.INFO):
            log.info(
                json.dumps(
                    {
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status_holder["status"],
                        "ms": round(elapsed * 1000, 1),
                    }
                )
            )


async def _problem(send, status: int, code: str, detail: str) -> None:
    body = json.dumps(
        {
            "type": f"https://motormall.dev/problems/{code}",
            "title": "Payload too large" if status == 413 else "Invalid input",
            "status": status,
            "detail": detail,
            "code": code,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
