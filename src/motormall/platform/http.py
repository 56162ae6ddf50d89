"""One pure-ASGI middleware for every response: request id, security headers, an upload size
cap held on the body stream itself, per-address limits on expensive anonymous endpoints, the
reply to an unhandled exception, access log lines as JSON, and Prometheus metrics."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable

from prometheus_client import Counter, Histogram

from motormall.platform.limits import AddressLimiter, Rule

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
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
NO_STORE = (b"cache-control", b"no-store")
# /docs starts Swagger UI (our own copy under /static) with an inline script
DOCS_CSP = (
    b"content-security-policy",
    b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    b"script-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
)


class BodyTooLarge(Exception):
    """Raised to the app from `receive` once the body passes the cap."""


class EdgeMiddleware:
    def __init__(
        self,
        app,
        *,
        max_body_bytes: int,
        max_in_flight: int,
        photo_limit: Callable[[str], int | None] = lambda _path: None,
        rate_rules: dict[tuple[str, str], Rule] | None = None,
        trust_proxy: bool = False,
        session_cookie: str = "mm_session",
        page_error: Callable[[dict, int, str, str], bytes | None] | None = None,
        gated_by_route: frozenset[tuple[str, str]] = frozenset(),
    ):
        self.app = app
        # a page route's refusal as an HTML page in the reader's language (web/ supplies it;
        # None, or None returned: the problem+json reply)
        self.page_error = page_error
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
        # (method, path) of routes that refuse most callers from a `Database.glance` on the
        # event loop and take a slot (`in_flight(request)`) only for the part that needs a
        # thread and a connection: a flash sale's losers must not queue behind its winners
        self.gated_by_route = gated_by_route
        self.rate_rules = rate_rules or {}  # (method, path) → budget per client address
        self.limiter = AddressLimiter()
        # X-Forwarded-Proto/-For are believed only behind a proxy the operator vouches for
        self.trust_proxy = trust_proxy
        self.session_cookie = f"{session_cookie}=".encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        request_id = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        state = {"status": 500, "started": False, "over_cap": False}
        is_docs = scope["path"] in {"/docs", "/redoc"}
        request_headers = dict(scope.get("headers", []))
        https = self._https(scope, request_headers)
        # personal replies (a session cookie or a bearer token) must never sit in a shared cache
        personal = b"authorization" in request_headers or self.session_cookie in (
            request_headers.get(b"cookie", b"")
        )

        async def emit(message):
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                state["started"] = True
                headers = [
                    h for h in message.get("headers", []) if h[0].lower() not in {b"x-request-id"}
                ]
                headers.append((b"x-request-id", request_id.encode()))
                extra = list(SECURITY_HEADERS)
                if https:
                    extra.append(HSTS)
                if personal:
                    headers = [h for h in headers if h[0].lower() != b"cache-control"]
                    extra.append(NO_STORE)
                present = {h[0].lower() for h in headers}
                for name, value in extra:
                    if name == b"content-security-policy" and is_docs:
                        name, value = DOCS_CSP
                    if name not in present:
                        headers.append((name, value))
                message["headers"] = headers
            await send(message)

        async def send_wrapper(message):
            if not state["over_cap"]:  # past the cap the app's reply is replaced by ours
                await emit(message)

        length = request_headers.get(b"content-length")
        photo_limit = self.photo_limit(scope["path"])
        limit = photo_limit or self.max_body_bytes
        received = 0

        async def capped_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                # once a reply has begun (a stream listening for disconnects) the body is moot
                if received > limit and not state["started"]:
                    state["over_cap"] = True
                    raise BodyTooLarge
            return message

        try:
            wait = self._rate_limited(scope, request_headers)
            if length is not None and length.isdigit() and int(length) > limit:
                state["over_cap"] = True
            elif wait:
                await self._refuse(
                    scope,
                    emit,
                    429,
                    "rate_limited",
                    "Too many requests",
                    f"Too many requests from this address; try again in {wait} s.",
                    [(b"retry-after", str(wait).encode())],
                )
            elif scope["path"] in UNGATED or scope["path"].startswith(("/static/", "/media/")):
                await self.app(scope, capped_receive, send_wrapper)
            else:
                if self._gate is None:  # made lazily: it belongs to the server's event loop
                    self._gate = asyncio.Semaphore(self.max_in_flight)
                if (scope["method"], scope["path"]) in self.gated_by_route:
                    scope["state"]["in_flight"] = self._gate
                    await self.app(scope, capped_receive, send_wrapper)
                else:
                    async with self._gate:
                        await self.app(scope, capped_receive, send_wrapper)
        except Exception:
            if not state["over_cap"]:
                log.exception(json.dumps({"request_id": request_id, "error": "unhandled"}))
                if not state["started"]:
                    await self._refuse(
                        scope,
                        emit,
                        500,
                        "internal_error",
                        "Internal error",
                        "Something went wrong on our side; it has been logged.",
                    )
        if state["over_cap"] and not state["started"]:
            await self._too_large(scope, emit, limit, bool(photo_limit))
        elapsed = time.perf_counter() - started
        REQUESTS.labels(scope["method"], str(state["status"])).inc()
        LATENCY.labels(scope["method"]).observe(elapsed)
        if log.isEnabledFor(logging.INFO):
            log.info(
                json.dumps(
                    {
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": state["status"],
                        "ms": round(elapsed * 1000, 1),
                    }
                )
            )

    async def _refuse(self, scope, emit, status, code, title, detail, headers=()) -> None:
        page = self.page_error(scope, status, code, detail) if self.page_error else None
        if page is None:
            await _problem(emit, status, code, title, detail, headers)
            return
        await _reply(emit, status, b"text/html; charset=utf-8", page, headers)

    async def _too_large(self, scope, emit, limit: int, photo: bool) -> None:
        if photo:
            await self._refuse(
                scope,
                emit,
                422,
                "image_too_large",
                "Invalid input",
                f"The upload is over {limit // 1_000_000} MB; send a smaller photo.",
            )
        else:
            await self._refuse(
                scope,
                emit,
                413,
                "payload_too_large",
                "Payload too large",
                f"The request body is over {limit // 1_000_000} MB.",
            )

    def _https(self, scope, headers: dict) -> bool:
        if scope.get("scheme") == "https":
            return True
        forwarded = headers.get(b"x-forwarded-proto", b"").split(b",")[0].strip().lower()
        return self.trust_proxy and forwarded == b"https"

    def _client(self, scope, headers: dict) -> str:
        return client_ip(scope, headers.get(b"x-forwarded-for"), trust_proxy=self.trust_proxy)

    def _rate_limited(self, scope, headers: dict) -> int:
        rule = self.rate_rules.get((scope["method"], scope["path"]))
        if rule is None:
            return 0
        return self.limiter.hit(rule, self._client(scope, headers))


def in_flight(request) -> contextlib.AbstractAsyncContextManager:
    """The in-flight slot of a route the edge lets in ungated (`gated_by_route`)."""
    return getattr(request.state, "in_flight", None) or contextlib.nullcontext()


def client_ip(scope, forwarded_for: bytes | None, *, trust_proxy: bool) -> str:
    """The caller's address: X-Forwarded-For is believed only behind our own proxy
    (`trust_proxy`), and then only its right-most entry, the one that proxy added; the rest
    the client wrote. Rate limits and the survey-integrity origins both use this."""
    if trust_proxy and forwarded_for:
        return forwarded_for.decode("latin-1").split(",")[-1].strip()
    client = scope.get("client")
    return client[0] if client else "unknown"


async def _problem(send, status: int, code: str, title: str, detail: str, headers=()) -> None:
    body = json.dumps(
        {
            "type": f"https://motormall.dev/problems/{code}",
            "title": title,
            "status": status,
            "detail": detail,
            "code": code,
        }
    ).encode()
    await _reply(send, status, b"application/problem+json", body, headers)


async def _reply(send, status: int, content_type: bytes, body: bytes, headers=()) -> None:
    """A whole reply sent straight from the middleware (refusals before or instead of the app)."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
