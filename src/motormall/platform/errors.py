"""Domain errors with a stable `code`, and their mapping to problem+json.

Services raise these and know nothing of HTTP; the handlers installed by `install` map each
kind to a status code in one place.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

PROBLEM = "application/problem+json"


class DomainError(Exception):
    """A failure the caller can understand and act on."""

    title = "Request failed"

    def __init__(self, code: str, detail: str, **fields: Any):
        clash = fields.keys() & {"type", "title", "status", "detail", "code"}
        if clash:
            raise ValueError(f"extra problem fields may not be named {sorted(clash)}")
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.fields = fields


class Invalid(DomainError):
    title = "Invalid input"


class BadRequest(DomainError):
    """Input we cannot even read as what it claims to be (e.g. a forged signature)."""

    title = "Bad request"


class Unauthenticated(DomainError):
    title = "Not authenticated"


class Forbidden(DomainError):
    title = "Not allowed"


class NotFound(DomainError):
    title = "Not found"


class Conflict(DomainError):
    title = "Conflict with current state"


class RateLimited(DomainError):
    title = "Too many requests"

    def __init__(self, code: str, detail: str, retry_after: int, **fields: Any):
        super().__init__(code, detail, **fields)
        self.retry_after = retry_after


class TooLarge(DomainError):
    title = "Payload too large"


STATUS = {
    BadRequest: 400,
    Invalid: 422,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    RateLimited: 429,
    TooLarge: 413,
}


def status_of(exc: DomainError) -> int:
    for kind in type(exc).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 400


def problem(status: int, code: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {
        "type": f"https://motormall.dev/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def _clean_errors(errors) -> list[dict]:
    out = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        out.append({"loc": loc, "msg": err.get("msg", ""), "type": err.get("type", "")})
    return out


def reply(exc: DomainError) -> JSONResponse:
    """The problem+json answer to `exc`: raised from a route it gets this from the handler
    below; a hot path may return it instead (unwinding FastAPI's layers costs more)."""
    status = status_of(exc)
    response = problem(status, exc.code, exc.title, exc.detail, **exc.fields)
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError):
        return reply(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = _clean_errors(exc.errors())
        malformed = any(e["type"] == "json_invalid" for e in errors)
        if malformed:
            return problem(400, "malformed_json", "Malformed JSON", "The body is not valid JSON.")
        first = errors[0] if errors else {"loc": [], "msg": "invalid"}
        where = ".".join(p for p in first["loc"] if p not in {"body", "query", "path"})
        detail = f"{where}: {first['msg']}" if where else first["msg"]
        return problem(422, "validation_error", "Invalid input", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code = HTTP_CODES.get(exc.status_code, "http_error")
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        response = problem(exc.status_code, code, detail, detail)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        if exc.status_code == 405:  # Starlette names only the first route's methods
            response.headers["Allow"] = ", ".join(_allowed_methods(request))
        return response


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route answers at this path (GET and POST may be two routes)."""
    allowed: set[str] = set()
    for route in request.app.router.routes:
        methods = getattr(route, "methods", None)
        if methods and route.matches(request.scope)[0] != Match.NONE:
            allowed |= methods
    return sorted(allowed)


# Documented on every route so clients and schema fuzzers know the error shape.
PROBLEM_SCHEMA = {
    "description": "Problem details",
    "content": {
        PROBLEM: {
            "schema": {
                "type": "object",
                "required": ["type", "title", "status", "detail", "code"],
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "code": {"type": "string"},
                },
            }
        }
    },
}
ERROR_RESPONSES = {s: PROBLEM_SCHEMA for s in (400, 401, 403, 404, 409, 413, 422, 429)}
