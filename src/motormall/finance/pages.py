"""Finance pages: the OEM console's referred queue, the sandbox mandate page, the calculator."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from markupsafe import Markup

from motormall.customers.contacts import contacts_of
from motormall.finance import applications, collections, messages, policy, service, staff
from motormall.finance.chart import stacked_bars
from motormall.finance.models import FinanceContract, Mandate
from motormall.finance.schemas import QuoteIn
from motormall.platform.auth import Role
from motormall.platform.db import utcnow
from motormall.platform.deps import AppSettings, DbSession, ReadSession
from motormall.platform.errors import DomainError, Invalid, status_of
from motormall.web.i18n import translations
from motormall.web.render import check_csrf, language, page_principal, render

router = APIRouter(include_in_schema=False)
QUEUE = "/oem/credit/applications"


def _queue(request: Request, session, error=None, status_code=200):
    lang = language(request)
    queue = applications.referred(session)
    for a in queue:
        a.reason_texts = [messages.text(c, lang) for c in a.reasons]
    _ = translations(lang).gettext
    legend = {"approved": _("Approved"), "pending": _("Referred"), "declined": _("Declined")}
    weeks = staff.weekly_outcomes(session, now=utcnow())
    chart = stacked_bars(weeks, legend=legend, title=_("Finance applications per week"))
    arrears = collections.arrears(session)
    return render(
        request,
        "oem_credit_queue.html",
        status_code=status_code,
        queue=queue,
        stats=applications.stats(session),
        arrears=arrears,
        callees=contacts_of(session, [c.customer_id for c in arrears]),
        chart=Markup(chart),  # built from numbers and escaped labels only
        error=error,
    )


@router.get(QUEUE)
def queue_page(request: Request, session: ReadSession):
    who = page_principal(request)
    if who is None or not who.is_admin:
        return RedirectResponse(f"/login?{urlencode({'next': QUEUE})}", status_code=303)
    return _queue(request, session)


@router.post(QUEUE + "/{application_id}/review")
def review(
    application_id: str,
    request: Request,
    session: DbSession,
    decision: Annotated[str, Form(max_length=10)],
    note: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form()] = "",
):
    who = page_principal(request)
    if who is None or not who.is_admin:
        return RedirectResponse(f"/login?{urlencode({'next': QUEUE})}", status_code=303)
    try:
        check_csrf(request, csrf_token)
        if decision not in ("approved", "declined"):
            raise Invalid("decision_invalid", "Approve or decline.")
        applications.review(
            session, who, application_id, approve=decision == "approved", note=note, now=utcnow()
        )
    except DomainError as exc:
        session.rollback()
        return _queue(request, session, error=exc.detail, status_code=status_of(exc))
    return RedirectResponse(QUEUE, status_code=303)


# --- the dealer's view of its financed orders ----------------------------------------------


@router.get("/dealer/finance")
def dealer_finance(request: Request, session: ReadSession):
    """The dealer's live hire-purchase and lease orders: how their finance stands (applied,
    approved, contracted, in arrears) and whom to call."""
    who = page_principal(request)
    if who is None or who.role not in (Role.dealer_staff, Role.dealer_manager):
        return RedirectResponse(f"/login?{urlencode({'next': '/dealer/finance'})}", 303)
    rows = staff.dealer_orders(session, who.dealer_id)
    return render(request, "dealer_finance.html", rows=rows)


# --- the sandbox provider's mandate page (what Alipay's agreement sign-up page does) --------


@router.get("/sandbox/mandates/{mandate_id}")
def sandbox_mandate(mandate_id: str, request: Request, session: ReadSession):
    who = page_principal(request)
    mandate = session.get(Mandate, mandate_id)
    if who is None or mandate is None or mandate.customer_id != who.user_id:
        return render(request, "not_found.html", status_code=404)
    return render(request, "sandbox_mandate.html", mandate=mandate)


@router.post("/sandbox/mandates/{mandate_id}")
def sandbox_mandate_sign(
    mandate_id: str,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    csrf_token: Annotated[str, Form()] = "",
):
    """The buyer signs at the sandbox; the sandbox sends us its signed notification (the same
    verification path as over HTTP)."""
    who = page_principal(request)
    mandate = session.get(Mandate, mandate_id)
    if who is None or mandate is None or mandate.customer_id != who.user_id:
        return render(request, "not_found.html", status_code=404)
    check_csrf(request, csrf_token)
    headers, body = collections.signed_mandate_notice(settings, mandate_id)
    collections.mandate_notified(session, "sandbox", headers, body, settings=settings, now=utcnow())
    order_id = session.get(FinanceContract, mandate.contract_id).order_id
    return RedirectResponse(f"/orders/{order_id}", status_code=303)


# --- the finance calculator beside a car --------------------------------------------------

PRODUCTS = ("cash", "hire_purchase", "lease")


@router.get("/vehicles/{vin}/finance")
def finance_calculator(
    vin: str,
    request: Request,
    session: ReadSession,
    settings: AppSettings,
    down_pct: Annotated[int, Query(ge=0, le=90)] = 30,
    term: Annotated[int, Query(ge=12, le=84)] = 36,
):
    """Cash, hire purchase and lease side by side for one car, with the down payment and
    term chosen by sliders; each schedule opens on demand. Plain HTML: the form reloads."""
    _, values = policy.current(session)
    term = min(term, values["max_term_months"])
    terms, now, tz = policy.terms(values), utcnow(), settings.default_timezone
    try:  # the car's price, from a cash quote
        price = service.quote(
            session, QuoteIn(vin=vin, product="cash"), terms=terms, now=now, tz=tz
        ).price
    except DomainError:
        return render(request, "not_found.html", status_code=404)
    down = (price * down_pct / 100).quantize(Decimal("0.01"))
    rows = []
    for product in PRODUCTS:
        body = {"vin": vin, "product": product}
        if product != "cash":
            body |= {"term_months": term, "down_payment": f"{down:.2f}"}
        try:
            q = service.quote(session, QuoteIn(**body), terms=terms, now=now, tz=tz)
            rows.append({"product": product, "quote": q, "error": None})
        except DomainError as exc:
            rows.append({"product": product, "quote": None, "error": exc.detail})
    return render(
        request,
        "finance_calculator.html",
        vin=vin,
        rows=rows,
        down_pct=down_pct,
        term=term,
        max_term=values["max_term_months"],
    )
