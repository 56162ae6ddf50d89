"""Storefront, dealer portal and OEM console pages (server-rendered, htmx where it helps)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select

from motormall.catalog import inventory, search, views
from motormall.catalog.api import stock_query, vehicle_out
from motormall.catalog.models import (
    NEW_ENERGY,
    Brand,
    CarModel,
    Dealer,
    Tower,
    Trim,
    Vehicle,
    VehicleStatus,
)
from motormall.catalog.photos import PHOTO_FILE, slug
from motormall.catalog.photos import render as render_photo
from motormall.customers.api import register
from motormall.customers.contacts import contacts_of
from motormall.customers.schemas import RegisterIn
from motormall.customers.security import (
    DEVICE_COOKIE,
    client_address,
    device_token_of,
    login,
    throttle_registration,
)
from motormall.orders import service as order_service
from motormall.orders.api import order_out
from motormall.platform.auth import Role, revoke_token
from motormall.platform.db import utcnow
from motormall.platform.deps import SESSION_COOKIE, AppSettings, DbSession, ReadSession
from motormall.platform.errors import DomainError
from motormall.platform.files import files_for
from motormall.platform.ids import RecordId, parse_id
from motormall.platform.money import parse_amount
from motormall.platform.origin import browser_id, keep_browser_id, request_origin
from motormall.web import STATIC_DIR, i18n
from motormall.web.i18n import LANGUAGES
from motormall.web.render import (
    GENERIC_ERRORS,
    LANG_COOKIE,
    N_,
    check_csrf,
    error_text,
    language,
    page_principal,
    render,
    rotate_csrf,
    set_cookie,
)

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 12
PUBLIC_FOR_A_DAY = {"Cache-Control": "public, max-age=86400"}
# What a sign-up form says about the field it refused.
FIELD_PROBLEMS = {
    "email": N_("Give a valid e-mail address."),
    "phone": N_("Give a valid phone number, e.g. 138 0013 8000."),
    "password": N_("The password needs at least 8 characters."),
    "name": N_("Give your name."),
    "city": N_("Give your city."),
}


def _cities(session) -> list[dict]:
    rows = session.execute(
        select(Dealer.city, func.avg(Dealer.lat), func.avg(Dealer.lon), func.count())
        .group_by(Dealer.city)
        .order_by(func.count().desc(), Dealer.city)
    )
    return [{"name": c, "near": f"{lat:.4f},{lon:.4f}", "dealers": n} for c, lat, lon, n in rows]


def _safe_next(target: str | None) -> str:
    """Only local paths, so a crafted link cannot bounce a user to another site."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/")
def home(request: Request, session: ReadSession):
    brands = list(session.scalars(select(Brand).order_by(Brand.code)))
    nev = search.StockQuery(limit=8, sort="price")
    nev_models = [
        m
        for (m,) in session.execute(
            select(CarModel.id).where(CarModel.powertrain.in_([p.value for p in NEW_ENERGY]))
        )
    ]
    featured = []
    if nev_models:
        hits = []
        for model_id in nev_models[:8]:
            nev.model_id = model_id
            nev.limit = 1
            hits += search.search(session, nev)[0]
        featured = [vehicle_out(h.vehicle) for h in hits]
    stock = session.scalar(
        select(func.count()).select_from(Vehicle).where(Vehicle.status == VehicleStatus.available)
    )
    dealers = session.scalar(select(func.count()).select_from(Dealer))
    return render(
        request,
        "home.html",
        brands=brands,
        featured=featured,
        stock=stock or 0,
        dealers=dealers or 0,
        cities=_cities(session),
    )


@router.get("/search")
def search_page(
    request: Request,
    session: ReadSession,
    brand: str | None = None,
    model_id: Annotated[str | None, Query()] = None,
    powertrain: str | None = None,
    price_min: str | None = None,
    price_max: str | None = None,
    city: str | None = None,
    near: str | None = None,
    radius_km: str | None = None,
    at: str | None = None,
    sort: str | None = None,
    cursor: str | None = None,
):
    cities = _cities(session)
    if city and not near:
        near = next((c["near"] for c in cities if c["name"] == city), None)
    form = {
        "brand": brand or "",
        "model_id": model_id or "",
        "powertrain": powertrain or "",
        "price_min": price_min or "",
        "price_max": price_max or "",
        "city": city or "",
        "near": near or "",
        "radius_km": radius_km or "",
        "at": at or "",
        "sort": sort or "",
    }
    error, items, next_cursor, total = None, [], None, 0
    try:
        q = stock_query(
            session,
            None,
            brand=brand or None,
            model_id=parse_id(model_id) if model_id else None,
            powertrain=powertrain if powertrain in {"ice", "hev", "phev", "bev"} else None,
            price_min=parse_amount(price_min) if price_min else None,
            price_max=parse_amount(price_max) if price_max else None,
            near=near or None,
            radius_km=float(radius_km) if radius_km and near else None,
            at=at if at in {"dealer", "tower"} else None,
            sort=sort if sort in {"price", "distance"} and (sort != "distance" or near) else None,
            status=None,
            limit=PAGE_SIZE,
            cursor=cursor,
        )
        hits, next_cursor = search.search(session, q)
        items = [vehicle_out(h.vehicle, h.distance_km) for h in hits]
        if not cursor:
            total = search.count(session, q)
    except (DomainError, ValueError) as exc:
        error = error_text(request, exc)
    more_url = None
    if next_cursor:
        params = {k: v for k, v in form.items() if v}
        params["cursor"] = next_cursor
        more_url = "/search?" + urlencode(params)
    context = dict(items=items, more_url=more_url, error=error, form=form, total=total)
    if request.headers.get("hx-request") and cursor:
        return render(request, "_results.html", **context)
    models = list(session.scalars(select(CarModel).join(Brand).order_by(Brand.code, CarModel.name)))
    brands = list(session.scalars(select(Brand).order_by(Brand.code)))
    return render(request, "search.html", cities=cities, models=models, brands=brands, **context)


@router.get("/vehicles/{vin}")
def vehicle_page(
    request: Request,
    vin: str,
    session: ReadSession,
    near: str | None = None,
    question: Annotated[str, Query(max_length=2000)] = "",
):
    from motormall.catalog.api import find_vehicle, get_vehicle

    try:
        vehicle = get_vehicle(vin, session, page_principal(request), near=near or None)
        dealer = find_vehicle(session, vin, None).dealer
    except DomainError:
        return render(request, "not_found.html", status_code=404)
    views.queue(page_principal(request), vehicle.vin, now=utcnow())
    # `question`: what the buyer typed before logging in, given back to send
    return render(request, "vehicle.html", v=vehicle, dealer=dealer, question=question)


@router.get("/media/listings/{trim_id}/{colour}.png")
def listing_photo(trim_id: RecordId, colour: str, session: ReadSession, settings: AppSettings):
    if slug(colour) != colour:
        return Response(status_code=404)
    files = files_for(settings)
    key = f"listings/{trim_id}/{colour}.png"
    data = files.get(key)
    if data is None:
        trim = session.get(Trim, trim_id)
        if trim is None:
            return Response(status_code=404)
        data = render_photo(
            colour=colour.replace("-", " "),
            title=f"{trim.model.brand.name} {trim.model.name}",
            subtitle=trim.name,
            body_type=trim.model.body_type,
        )
        files.put(key, data, "image/png")
    return Response(data, media_type="image/png", headers=PUBLIC_FOR_A_DAY)


@router.get("/media/photos/{name}")
def dealer_photo(name: str, settings: AppSettings):
    data = files_for(settings).get(f"photos/{name}") if PHOTO_FILE.match(name) else None
    if data is None:
        return Response(status_code=404)
    return Response(data, media_type="image/jpeg", headers=PUBLIC_FOR_A_DAY)


@router.get("/favicon.ico")
def favicon():
    return FileResponse(
        STATIC_DIR / "favicon.svg",
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=604800"},
    )


@router.get("/lang/{code}")
def switch_language(code: str, request: Request, next: str | None = None):
    response = RedirectResponse(_safe_next(next), status_code=303)
    if code in LANGUAGES:
        set_cookie(
            request, response, LANG_COOKIE, code, max_age=60 * 60 * 24 * 365, http_only=False
        )
    return response


# --- accounts ----------------------------------------------------------------------------


def _home_for(role: str) -> str:
    return {
        Role.dealer_staff: "/dealer",
        Role.dealer_manager: "/dealer",
        Role.oem_admin: "/oem",
    }.get(role, "/")


@router.get("/login")
def login_page(request: Request, next: str | None = None):
    browser_id(request)  # staff logins are remembered by browser (survey integrity)
    response = render(request, "login.html", next=_safe_next(next), error=None)
    keep_browser_id(request, response)
    return response


@router.post("/login")
def login_submit(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
):
    try:
        check_csrf(request, csrf_token)
        done = login(
            session,
            settings,
            email=email,
            password=password,
            address=client_address(request),
            device_token=device_token_of(request),
            origin=request_origin(request, browser=browser_id(request)),
        )
    except DomainError as exc:
        status = {"csrf_failed": 400, "too_many_failed_logins": 429}.get(exc.code, 401)
        response = render(
            request,
            "login.html",
            status_code=status,
            next=_safe_next(next),
            error=error_text(request, exc),
            email=email,
        )
        if status == 429:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    target = _safe_next(next) if next not in {"", "/"} else _home_for(done.user.role)
    return _logged_in(request, RedirectResponse(target, status_code=303), done, settings)


def _logged_in(request, response, done, settings):
    """The session cookie, the device cookie that exempts this browser from others' failed
    guesses next time, and a fresh CSRF seed."""
    set_cookie(
        request,
        response,
        SESSION_COOKIE,
        done.token,
        max_age=int((done.expires - utcnow()).total_seconds()),
    )
    set_cookie(
        request,
        response,
        DEVICE_COOKIE,
        done.device_token,
        max_age=settings.login_device_days * 86400,
    )
    rotate_csrf(request, response)
    keep_browser_id(request, response)
    return response


@router.post("/logout")
def logout(request: Request, session: DbSession, csrf_token: Annotated[str, Form()] = ""):
    check_csrf(request, csrf_token)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        revoke_token(session, token, now=utcnow())
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    rotate_csrf(request, response)
    return response


@router.get("/register")
def register_page(request: Request):
    return render(request, "register.html", error=None, form={})


@router.post("/register")
def register_submit(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=256)],
    name: Annotated[str, Form(max_length=120)],
    phone: Annotated[str, Form(max_length=32)],
    city: Annotated[str, Form(max_length=80)],
    csrf_token: Annotated[str, Form()] = "",
):
    form = {"email": email, "name": name, "phone": phone, "city": city}
    try:
        check_csrf(request, csrf_token)
        throttle_registration(session, settings, client_address(request))
        data = RegisterIn(
            email=email,
            password=password,
            name=name,
            phone=phone,
            city=city,
            locale="zh-CN" if language(request) == "zh_Hans" else "en",
        )
        register(session, data)
        session.flush()
        done = login(
            session, settings, email=email, password=password, address=client_address(request)
        )
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0]) if exc.errors()[0]["loc"] else ""
        said = i18n.translations(language(request)).gettext(
            FIELD_PROBLEMS.get(field, GENERIC_ERRORS[422])
        )
        return render(request, "register.html", status_code=422, form=form, error=said)
    except DomainError as exc:
        status = 429 if exc.code == "too_many_requests" else 422
        return render(
            request, "register.html", status_code=status, form=form, error=error_text(request, exc)
        )
    return _logged_in(request, RedirectResponse("/", status_code=303), done, settings)


# --- dealer portal and OEM console -------------------------------------------------------


def _staff_or_login(request: Request, roles: set[Role]):
    principal = page_principal(request)
    if principal is None or principal.role not in roles:
        return None, RedirectResponse(
            f"/login?{urlencode({'next': request.url.path})}", status_code=303
        )
    return principal, None


@router.get("/dealer")
def dealer_portal(request: Request, session: ReadSession, report: str | None = None):
    principal, redirect = _staff_or_login(request, {Role.dealer_staff, Role.dealer_manager})
    if redirect:
        return redirect
    return _dealer_home(request, session, principal)


def _dealer_home(request, session, principal, report=None, error=None, status_code=200):
    dealer = session.get(Dealer, principal.dealer_id)
    counts = dict(
        session.execute(
            select(Vehicle.status, func.count())
            .where(Vehicle.dealer_id == dealer.id)
            .group_by(Vehicle.status)
        ).all()
    )
    waiting = [
        o
        for o in order_service.list_for(
            session, principal, statuses=["deposit_paid", "paid", "ready_for_handover"]
        )
        if o.delivery_dealer_id == dealer.id
    ]
    # the buyer's contact: a handover is arranged by calling them
    contacts = contacts_of(session, [o.customer_id for o in waiting])
    cars = {
        v.vin: vehicle_out(v)
        for v in session.scalars(select(Vehicle).where(Vehicle.vin.in_([o.vin for o in waiting])))
    }
    handovers = [
        {
            "o": order_out(session, o),
            "who": contacts.get(o.customer_id),
            "customer_id": o.customer_id,
            "car": cars.get(o.vin),
        }
        for o in waiting
    ]
    recent = [
        vehicle_out(v)
        for v in session.scalars(
            select(Vehicle)
            .where(Vehicle.dealer_id == dealer.id)
            .order_by(Vehicle.updated_at.desc(), Vehicle.vin)
            .limit(10)
        )
    ]
    return render(
        request,
        "dealer_home.html",
        status_code=status_code,
        principal=principal,
        dealer=dealer,
        counts=counts,
        recent=recent,
        report=report,
        error=error,
        handovers=handovers,
    )


@router.post("/dealer/inventory")
def dealer_import(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    file: UploadFile,
    csrf_token: Annotated[str, Form()] = "",
):
    principal, redirect = _staff_or_login(request, {Role.dealer_manager})
    if redirect:
        return redirect
    try:
        check_csrf(request, csrf_token)
        data = file.file.read(settings.max_upload_bytes + 1)  # spooled already: no await
        if len(data) > settings.max_upload_bytes:
            raise DomainError("upload_too_large", "The file is too large; split it.")
        dealer = session.get(Dealer, principal.dealer_id)
        report = inventory.import_inventory(
            session, dealer, data, actor_id=principal.user_id, today=utcnow().date()
        )
    except DomainError as exc:
        session.rollback()
        return _dealer_home(
            request, session, principal, error=error_text(request, exc), status_code=422
        )
    session.flush()
    return _dealer_home(request, session, principal, report=report)


@router.get("/oem")
def oem_console(
    request: Request,
    session: ReadSession,
    date_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=10)] = "",
    done: Annotated[str, Query(max_length=20)] = "",
):
    principal, redirect = _staff_or_login(request, {Role.oem_admin})
    if redirect:
        return redirect
    return _oem_console(request, session, principal, date_from, date_to, done=done)


def _oem_console(request, session, principal, date_from="", date_to="", **extra):
    by_brand = session.execute(
        select(Brand.code, CarModel.powertrain, func.count())
        .select_from(Vehicle)
        .join(CarModel, CarModel.id == Vehicle.model_id)
        .join(Brand, Brand.id == Vehicle.brand_id)
        .where(Vehicle.status == VehicleStatus.available)
        .group_by(Brand.code, CarModel.powertrain)
    ).all()
    brands: dict[str, dict] = {}
    for code, powertrain, n in by_brand:
        row = brands.setdefault(code, {"total": 0, "nev": 0})
        row["total"] += n
        if powertrain in {p.value for p in NEW_ENERGY}:
            row["nev"] += n
    totals = {
        "dealers": session.scalar(select(func.count()).select_from(Dealer)) or 0,
        "towers": session.scalar(select(func.count()).select_from(Tower)) or 0,
        "vehicles": sum(r["total"] for r in brands.values()),
    }
    period, period_error = _period(date_from, date_to)
    return render(
        request,
        "oem_home.html",
        status_code=422 if period_error else 200,
        principal=principal,
        brands=brands,
        totals=totals,
        cities=_cities(session),
        today=dt.date.today(),
        period={"from": date_from, "to": date_to},
        period_error=period_error,
        **_oem_money(session),
        conversion=_conversion(session, *period),
        **extra,
    )


def _period(date_from: str, date_to: str):
    """[from, to] as whole days (UTC) → [since, until); an unreadable date is ignored."""
    try:
        since = dt.datetime.fromisoformat(date_from).replace(tzinfo=dt.UTC) if date_from else None
        until = (
            dt.datetime.fromisoformat(date_to).replace(tzinfo=dt.UTC) + dt.timedelta(days=1)
            if date_to
            else None
        )
    except ValueError:
        return (None, None), N_("Give dates as YYYY-MM-DD.")
    return (since, until), None


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _conversion(session, since, until) -> list[dict]:
    """Lead conversion per dealer as shares of its leads, busiest dealers first."""
    from motormall.leads import stats
    from motormall.orders.service import credited_counts

    dealers = {d.id: d for d in session.scalars(select(Dealer))}
    orders = credited_counts(session, since=since, until=until)
    rows = []
    for dealer_id, row in stats.lead_counts(session, since=since, until=until).items():
        n = row["leads"]
        rows.append(
            {
                "dealer": dealers.get(dealer_id),
                "leads": n,
                "on_time": _pct(row["contacted_on_time"], n),
                "test_drives": _pct(row["test_drives"], n),
                "orders": _pct(orders.get(dealer_id, 0), n),
                "won": _pct(row["won"], n),
                "sla_breaches": row["sla_breaches"],
            }
        )
    rows.sort(key=lambda r: (-r["leads"], r["dealer"].code if r["dealer"] else ""))
    return rows[:20]


def _oem_money(session) -> dict:
    """The ledger's balance, and the payments waiting for a person with whom they concern."""
    from motormall.payments import ledger, review

    balanced, accounts = ledger.balance(session)
    queue = review.flagged(session)
    who = contacts_of(session, [p.customer_id for p in queue])
    flagged = [
        {
            "p": p,
            "reported": review.reported(session, p)[0],
            "customer": who.get(p.customer_id),
        }
        for p in queue
    ]
    return {"balanced": balanced, "accounts": accounts, "flagged": flagged}
