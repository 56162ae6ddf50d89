"""Page rendering: templates with the caller's language, CSRF tokens and the session cookie."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from motormall.platform.auth import Principal
from motormall.platform.deps import SESSION_COOKIE, _optional_principal, database
from motormall.platform.errors import DomainError, Forbidden, Unauthenticated, status_of
from motormall.web import TEMPLATE_DIR, i18n
from motormall.web.i18n import N_

LANG_COOKIE = "mm_lang"


# Words stored as codes, shown in the reader's language.
LABELS = {
    "available": N_("Available"),
    "reserved": N_("Reserved"),
    "test_drive": N_("On a test drive"),
    "sold": N_("Sold"),
    "withdrawn": N_("Withdrawn"),
    "ice": N_("Petrol"),
    "hev": N_("Hybrid"),
    "phev": N_("Plug-in hybrid"),
    "bev": N_("Electric"),
    "sedan": N_("Sedan"),
    "hatchback": N_("Hatchback"),
    "wagon": N_("Estate"),
    "coupe": N_("Coupé"),
    "convertible": N_("Convertible"),
    "suv": N_("SUV"),
    "mpv": N_("MPV"),
    "pickup": N_("Pickup"),
    "van": N_("Van"),
    "deposit_paid": N_("Deposit paid"),
    "financing": N_("Financing"),
    "contracted": N_("Contract signed"),
    "paid": N_("Paid"),
    "ready_for_handover": N_("Ready for handover"),
    "handed_over": N_("Handed over"),
    "cancelled": N_("Cancelled"),
    "expired": N_("Expired"),
    "returned": N_("Returned"),
    "down_payment": N_("Down payment"),
    "hire_purchase": N_("Hire purchase"),
    "lease": N_("Lease"),
    "not_applied": N_("Not applied yet"),
    "referred": N_("Referred"),
    "approved": N_("Approved"),
    "declined": N_("Declined"),
    "arrears": N_("In arrears"),
    "deposit": N_("Deposit"),
    "balance": N_("Balance"),
    "pending": N_("Pending"),
    "succeeded": N_("Succeeded"),
    "failed": N_("Failed"),
    "flagged": N_("Flagged"),
    "new": N_("New"),
    "contacted": N_("Contacted"),
    "test_drive_booked": N_("Test drive booked"),
    "quoted": N_("Quoted"),
    "won": N_("Won"),
    "lost": N_("Lost"),
    "note": N_("Note"),
    # test drives
    "booked": N_("Booked"),
    "out": N_("Out on a drive"),
    "no_show": N_("Did not come"),
    "assigned": N_("Assigned"),
    "inquiry_repeated": N_("Asked again"),
    "rerouted": N_("Re-routed"),
    "over_capacity": N_("Over capacity"),
    "outside_radius": N_("Far away"),
    "radius_widened": N_("Wider search"),
    "no_dealer_left": N_("No other dealer"),
    # webhook delivery failures, by category (the raw error is never shown)
    "timeout": N_("Timed out"),
    "connection_refused": N_("Connection refused"),
    "connection_failed": N_("Could not connect"),
    "tls_error": N_("TLS error"),
    "target_forbidden": N_("Not a public address"),
    "unresolvable": N_("Host not found"),
    # ledger accounts
    "customer_deposits": N_("Customer deposits"),
    "customer_payments": N_("Customer payments"),
    "carmaker_revenue": N_("Carmaker revenue"),
    "dealer_commission_expense": N_("Dealer commission"),
    "dealer_commission_payable": N_("Commission owed to dealers"),
    "provider_clearing": N_("Payment provider clearing"),
    "sandbox": N_("Sandbox"),
    "alipay": N_("Alipay"),
    # after-sales: appointments, jobs, cases, integrity flags
    "completed": N_("Completed"),
    "maintenance": N_("Maintenance"),
    "repair": N_("Repair"),
    "warranty": N_("Warranty"),
    "recall": N_("Recall"),
    "open": N_("Awaiting action"),  # not "Open": that msgid is the verb (查看)
    "escalated": N_("Escalated to the carmaker"),
    "resolved": N_("Resolved"),
    "reopened": N_("Reopened by the customer"),
    "confirmed": N_("Confirmed resolved by the customer"),
    "opened": N_("Opened"),
    "complaint": N_("Complaint"),
    "survey": N_("Survey answer"),
    "sales": N_("Sales"),
    "service": N_("Service"),
    "parts": N_("Parts"),
    "other": N_("Other"),
    "incentives_reported": N_("Customers report incentives for ratings"),
    "perfect_scores_above_network": N_("Perfect scores far above the network"),
    "answered_on_the_spot": N_("Answers given on the spot"),
    "ratings_contradict_behaviour": N_("High ratings after complaints or returns"),
    "ratings_contradict_comments": N_("Ratings the comments contradict"),
    "answered_from_dealer_origin": N_("Answers from the dealer's own network or devices"),
}
# Demo and common city names (dealer cities are stored in English).
CITY_NAMES = [
    N_("Shanghai"),
    N_("Beijing"),
    N_("Hangzhou"),
    N_("Nanjing"),
    N_("Guangzhou"),
    N_("Shenzhen"),
    N_("Chengdu"),
    N_("Wuhan"),
    N_("Suzhou"),
    N_("Xi'an"),
    N_("Chongqing"),
    N_("Tianjin"),
    N_("Shenyang"),
    N_("Hefei"),
]
CSRF_COOKIE = "mm_csrf"

templates = Jinja2Templates(directory=str(TEMPLATE_DIR))

# Counts shown in the navigation (e.g. unread notifications), registered by the domain that
# owns them, so web/ renders without importing domains.
NavCount = Callable[[Request, Principal], int]
_nav_counts: dict[str, NavCount] = {}


def register_nav_count(name: str, count: NavCount) -> None:
    _nav_counts[name] = count


def _nav_count(request: Request, principal: Principal | None, name: str) -> int:
    """Computed only when a template asks, once per page."""
    if principal is None or name not in _nav_counts:
        return 0
    cache = request.state.__dict__.setdefault("nav_counts", {})
    if name not in cache:
        cache[name] = _nav_counts[name](request, principal)
    return cache[name]


def language(request: Request) -> str:
    return i18n.pick_language(
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language"),
    )


def page_principal(request: Request) -> Principal | None:
    """The logged-in person on a page, or None (an expired session just means logged out)."""
    try:
        return _optional_principal(request, database(request))
    except Unauthenticated:
        return None


def _secret(request: Request) -> bytes:
    return request.app.state.settings.effective_secret_key.encode()


def csrf_token(request: Request) -> str:
    """Double-submit token: an HMAC of the browser's random CSRF cookie."""
    seed = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not seed:
        seed = secrets.token_urlsafe(24)
        request.state.new_csrf = seed
    return hmac.new(_secret(request), seed.encode(), hashlib.sha256).hexdigest()


def rotate_csrf(request: Request, response) -> None:
    """A fresh CSRF seed when the person behind the browser changes (log in, log out), so a
    token read before the login is worthless after it."""
    set_cookie(request, response, CSRF_COOKIE, secrets.token_urlsafe(24), max_age=60 * 60 * 24 * 30)


def check_csrf(request: Request, token: str | None) -> None:
    seed = request.cookies.get(CSRF_COOKIE)
    expected = hmac.new(_secret(request), (seed or "").encode(), hashlib.sha256).hexdigest()
    if not seed or not token or not hmac.compare_digest(expected, token):
        raise Forbidden("csrf_failed", "The form expired; reload the page and try again.")


def set_cookie(
    request: Request, response, name: str, value: str, *, max_age: int, http_only: bool = True
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=http_only,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


# Said when a service's message has no translation yet (e.g. one built with figures in it).
GENERIC_ERRORS = {
    400: N_("The request was not understood; reload the page and try again."),
    401: N_("Log in to continue."),
    403: N_("You are not allowed to do that."),
    404: N_("Not found."),
    409: N_("That is not possible in the current state; reload the page and try again."),
    413: N_("The file is too large."),
    422: N_("Some of what you entered is not valid; check it and try again."),
    429: N_("Too many tries; wait a moment and try again."),
}
NOT_A_NUMBER = N_("Give a number, like 268000.")
# Errors whose message is built with figures (so not in the catalogue word for word): what a
# reader is told instead, by code.
BY_CODE = {
    "vehicle_unavailable": N_("This car is no longer available."),
    "order_limit": N_("You already have as many open orders as allowed; finish or cancel one."),
    "illegal_transition": N_("That step does not fit where this stands now."),
    "lead_closed": N_("This lead is closed; it takes no more updates."),
    "unknown_event": N_("That is not a step a lead can take."),
    "return_window_closed": N_("The return window has closed."),
    "weak_password": N_("Choose a longer password that is not easy to guess."),
    "already_exists": N_("That already exists."),
    "too_many_failed_logins": N_("Too many failed log-ins; wait a moment and try again."),
    "too_many_requests": N_("Too many tries; wait a moment and try again."),
}
# Colours as the demo network and most listings name them (stored in English).
COLOUR_NAMES = [
    N_("Alpine White"),
    N_("Black Sapphire"),
    N_("Mineral White"),
    N_("Skyscraper Grey"),
    N_("Brooklyn Grey"),
    N_("Portimao Blue"),
    N_("Tanzanite Blue"),
    N_("Chili Red"),
    N_("British Racing Green"),
    N_("Midnight Black"),
    N_("Nanuq White"),
    N_("Ocean Wave Green"),
    N_("Sunny Side Yellow"),
    N_("Blazing Blue"),
    N_("Oxford White"),
    N_("Agate Black"),
    N_("Race Red"),
    N_("Carbonized Gray"),
    N_("Atlas Blue"),
    N_("Iconic Silver"),
    N_("Star White"),
    N_("White"),
    N_("Black"),
    N_("Silver"),
    N_("Grey"),
    N_("Blue"),
    N_("Red"),
    N_("Green"),
]


def error_text(request: Request, exc: Exception) -> str:
    """A domain error (or a bad number) as a sentence in the reader's language."""
    tr = i18n.translations(language(request))
    if not isinstance(exc, DomainError):
        return tr.gettext(NOT_A_NUMBER)
    said = tr.gettext(exc.detail)
    if said == exc.detail and language(request) != "en":
        fallback = BY_CODE.get(exc.code) or GENERIC_ERRORS.get(status_of(exc), GENERIC_ERRORS[422])
        return tr.gettext(fallback)
    return said


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = language(request)
    tr = i18n.translations(lang)
    principal = context.pop("principal", None) or page_principal(request)
    ctx = {
        "request": request,
        "lang": lang,
        "html_lang": i18n.html_lang(lang),
        "languages": i18n.LANGUAGES,
        "_": tr.gettext,
        "label": lambda code: tr.gettext(LABELS.get(code, code)),
        "ngettext": tr.ngettext,
        "money": lambda amount, currency="CNY": i18n.money(Decimal(str(amount)), currency, lang),
        "number": lambda value: i18n.number(value, lang),
        "local_time": lambda iso, tz="Asia/Shanghai": i18n.local_time(iso, lang, tz),
        "local_date": lambda day: i18n.local_date(day, lang),
        "dealer_name": lambda d: (
            (getattr(d, "name_zh", None) if lang == "zh_Hans" else None) or d.name
        ),
        "principal": principal,
        "nav_count": lambda name: _nav_count(request, principal, name),
        "csrf": csrf_token(request),
        **context,
    }
    response = templates.TemplateResponse(request, template, ctx, status_code=status_code)
    new_seed = getattr(request.state, "new_csrf", None)
    if new_seed:
        set_cookie(request, response, CSRF_COOKIE, new_seed, max_age=60 * 60 * 24 * 30)
    return response


__all__ = [
    "SESSION_COOKIE",
    "render",
    "check_csrf",
    "rotate_csrf",
    "register_nav_count",
    "set_cookie",
    "page_principal",
    "language",
]
