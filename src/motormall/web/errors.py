"""Errors on page routes answer with a page in the reader's language, never problem+json.

The API, health, metrics and files keep the JSON problems the contract promises; everything
else is a page a person opened, so a missing page, an oversized photo or a form sent empty
past the browser's checks gets a page with the same status the error table gives.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from motormall.platform.deps import SESSION_COOKIE
from motormall.platform.errors import DomainError, RateLimited, status_of
from motormall.web import i18n
from motormall.web.render import GENERIC_ERRORS, N_, error_text, language, render, templates

NOT_PAGES = ("/api/", "/static/", "/media/", "/healthz", "/metrics", "/openapi.json", "/docs")
TITLES = {
    404: N_("Not found"),
    413: N_("Too large"),
    422: N_("Please check what you sent"),
    429: N_("Slow down"),
    500: N_("Something went wrong"),
}
# What the edge (platform/http.py) refuses before the app sees the request, by code.
EDGE = {
    "image_too_large": N_("The photo is too large; send a smaller photo (a phone photo is fine)."),
    "payload_too_large": N_("The file is too large."),
    "rate_limited": N_("Too many tries; wait a moment and try again."),
    "internal_error": N_("Something went wrong on our side; it has been logged. Try again soon."),
}
PAGE_GONE = N_("There is no page at this address.")


def is_page(path: str) -> bool:
    return not path.startswith(NOT_PAGES)


def _page(request: Request, status: int, message: str):
    tr = i18n.translations(language(request))
    title = tr.gettext(TITLES.get(status, TITLES[422] if status < 500 else TITLES[500]))
    return render(request, "error.html", status_code=status, title=title, message=message)


def edge_page(scope: dict, status: int, code: str, detail: str) -> bytes | None:
    """The edge's refusal as a page. No database here, so who is signed in is unknown: with a
    session cookie the menu offers neither "Log in" nor the account's links."""
    if not is_page(scope["path"]):
        return None
    request = Request(scope)
    lang = language(request)
    tr = i18n.translations(lang)
    message = tr.gettext(EDGE.get(code) or GENERIC_ERRORS.get(status, GENERIC_ERRORS[422]))
    title = tr.gettext(TITLES.get(status, TITLES[422] if status < 500 else TITLES[500]))
    page = templates.get_template("error.html").render(
        {
            "request": request,
            "lang": lang,
            "html_lang": i18n.html_lang(lang),
            "languages": i18n.LANGUAGES,
            "_": tr.gettext,
            "ngettext": tr.ngettext,
            "principal": None,
            "signed_in_unknown": bool(request.cookies.get(SESSION_COOKIE)),
            "nav_count": lambda _name: 0,
            "csrf": "",
            "title": title,
            "message": message,
        }
    )
    return page.encode()


def install(app: FastAPI) -> None:
    """Wrap the JSON handlers platform/errors.py installed: pages get pages, the rest JSON."""
    as_json = dict(app.exception_handlers)

    def _either(kind, to_page):
        async def dispatch(request: Request, exc):
            if not is_page(request.url.path):
                return await as_json[kind](request, exc)
            return await run_in_threadpool(to_page, request, exc)  # the menu reads the session

        app.add_exception_handler(kind, dispatch)

    def domain(request, exc: DomainError):
        response = _page(request, status_of(exc), error_text(request, exc))
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    def invalid(request, exc):
        tr = i18n.translations(language(request))
        return _page(request, 422, tr.gettext(GENERIC_ERRORS[422]))

    def http(request, exc: StarletteHTTPException):
        tr = i18n.translations(language(request))
        status = exc.status_code
        said = PAGE_GONE if status == 404 else GENERIC_ERRORS.get(status, GENERIC_ERRORS[400])
        response = _page(request, status, tr.gettext(said))
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    _either(DomainError, domain)
    _either(RequestValidationError, invalid)
    _either(StarletteHTTPException, http)
