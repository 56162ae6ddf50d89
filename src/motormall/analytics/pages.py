"""The OEM console's dashboards: the funnel, new-energy share by month and the dealer
league table, filtered by brand, city and period, each downloadable as CSV. Charts are bars
drawn on the server (inline SVG): no script, and nothing fetched from elsewhere."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from motormall.analytics import service
from motormall.analytics.store import Store
from motormall.catalog.models import Brand, Dealer
from motormall.platform.auth import Role
from motormall.platform.db import utcnow
from motormall.platform.deps import AppSettings, ReadSession
from motormall.platform.errors import DomainError, Invalid, status_of
from motormall.web.render import error_text, page_principal, render

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Query(max_length=80)]
CHARTS = {"funnel": service.funnel, "new-energy": service.new_energy, "dealers": service.dealers}


def _day(value: str, name: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), dt.UTC)
    except ValueError:
        raise Invalid("invalid_date", "Give dates as YYYY-MM-DD.", field=name) from None


def _figures(session, settings, brand, city, start, end, charts):
    now = utcnow()
    # the period ends after the last day chosen
    last = _day(end, "to")
    f = service.filters(
        session,
        brand=brand or None,
        city=city or None,
        start=_day(start, "from"),
        end=last + dt.timedelta(days=1) if last and last.year < 9999 else last,
        now=now,
    )
    store = Store(settings.analytics_dir)
    fresh = service.freshness(session, store, now=now, limit=settings.analytics_catch_up_on_read)
    return {name: CHARTS[name](session, store, f, fresh=fresh) for name in charts}, fresh


@router.get("/oem/analytics")
def dashboards(
    request: Request,
    session: ReadSession,
    settings: AppSettings,
    brand: Text = "",
    city: Text = "",
    start: Annotated[str, Query(alias="from", max_length=10)] = "",
    to: Annotated[str, Query(max_length=10)] = "",
):
    who = page_principal(request)
    if who is None or who.role != Role.oem_admin:
        return RedirectResponse("/login?next=/oem/analytics", status_code=303)
    filters = {"brand": brand, "city": city, "from": start, "to": to}
    context = dict(
        brands=session.scalars(select(Brand).order_by(Brand.code)).all(),
        cities=session.scalars(select(Dealer.city).distinct().order_by(Dealer.city)).all(),
        filters=filters,
        query="&".join(f"{k}={v}" for k, v in filters.items() if v),
    )
    try:
        figures, fresh = _figures(session, settings, brand, city, start, to, CHARTS)
    except DomainError as exc:
        return render(
            request,
            "oem_analytics.html",
            status_code=status_of(exc),
            error=error_text(request, exc),
            **context,
        )
    return render(
        request, "oem_analytics.html", error=None, fresh=fresh, **figures_ctx(figures), **context
    )


def figures_ctx(figures: dict) -> dict:
    funnel = figures["funnel"]
    months = figures["new-energy"]["months"]
    return {
        "funnel": funnel["stages"],
        "funnel_top": max([s["count"] for s in funnel["stages"]] + [1]),
        "months": months,
        "energy": figures["new-energy"],
        "dealers": figures["dealers"]["items"],
    }


def _csv(rows: list[dict], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@router.get("/oem/analytics/{chart}.csv")
def download(
    request: Request,
    chart: str,
    session: ReadSession,
    settings: AppSettings,
    brand: Text = "",
    city: Text = "",
    start: Annotated[str, Query(alias="from", max_length=10)] = "",
    to: Annotated[str, Query(max_length=10)] = "",
):
    """One chart's figures as CSV (the same filters as the page)."""
    who = page_principal(request)
    if who is None or who.role != Role.oem_admin:
        return RedirectResponse(f"/login?next=/oem/analytics/{chart}.csv", status_code=303)
    if chart not in CHARTS:
        raise Invalid("unknown_chart", "No such chart.", chart=chart)
    figures, fresh = _figures(session, settings, brand, city, start, to, [chart])
    body = figures[chart]
    if chart == "funnel":
        text = _csv(body["stages"], ["stage", "count", "from_previous"])
    elif chart == "new-energy":
        text = _csv(body["months"], ["month", "orders", "new_energy", "share"])
    else:
        rows = [{**r, "flags": " ".join(fl["code"] for fl in r["flags"])} for r in body["items"]]
        text = _csv(
            rows,
            [
                "rank",
                "dealer",
                "name",
                "city",
                "leads",
                "response_minutes",
                "test_drives",
                "orders",
                "handovers",
                "finance_approvals",
                "conversion",
                "csat",
                "csat_without_flagged",
                "responses",
                "flags",
            ],
        )
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{chart}.csv"',
            "X-Data-As-Of": fresh["as_of"].isoformat(),
        },
    )
