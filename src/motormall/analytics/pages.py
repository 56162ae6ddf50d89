"""The OEM console's dashboards: the funnel, new-energy share by month and the dealer
league table and campaign results, filtered by brand, city and period, each downloadable as
CSV. Charts are drawn in the browser by Chart.js, served from our own static files
(web/static/chartjs), from the figures the page carries as JSON in a
<script type="application/json"> block: no inline script, no CDN. Every chart has its table
beside it, which is also what a reader without scripts gets."""

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
from motormall.web.i18n import N_, translations
from motormall.web.render import error_text, language, page_principal, render

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Query(max_length=80)]
CHARTS = {
    "funnel": service.funnel,
    "new-energy": service.new_energy,
    "dealers": service.dealers,
    "campaigns": service.campaigns,
}
LEAGUE_CHARTED = 10  # dealers in the league chart (the table lists them all)
STAGE_LABELS = {
    "visit": N_("Visits"),
    "lead": N_("Leads"),
    "test_drive": N_("Test drives"),
    "order": N_("Orders"),
    "handover": N_("Handovers"),
}


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
    gettext = translations(language(request)).gettext
    return render(
        request,
        "oem_analytics.html",
        error=None,
        fresh=fresh,
        stage_labels={k: gettext(v) for k, v in STAGE_LABELS.items()},
        **figures_ctx(figures, gettext),
        **context,
    )


def _pct(rate: float | None) -> float | None:
    return None if rate is None else round(100 * rate, 1)


def figures_ctx(figures: dict, gettext) -> dict:
    """The tables' rows, and the same figures as the charts' data (numbers and labels only:
    the script reads them as JSON and never writes them into the page as HTML)."""
    funnel = figures["funnel"]["stages"]
    months = figures["new-energy"]["months"]
    dealers = figures["dealers"]["items"]
    campaigns = figures["campaigns"]["items"]
    charted = dealers[:LEAGUE_CHARTED]
    stages = [STAGE_LABELS[s["stage"]] for s in funnel]
    charts = {
        "funnel": {
            "labels": [gettext(label) for label in stages],
            "series": [{"label": gettext("People"), "data": [s["count"] for s in funnel]}],
            "axis": "count",
        },
        "new-energy": {
            "labels": [m["month"] for m in months],
            "series": [
                {
                    "label": gettext("New-energy share (%)"),
                    "data": [_pct(m["share"]) for m in months],
                }
            ],
            "axis": "percent",
        },
        "dealers": {
            "labels": [d["dealer"] for d in charted],
            "series": [
                {
                    "label": gettext("Conversion (%)"),
                    "data": [_pct(d["conversion"]) for d in charted],
                }
            ],
            "axis": "percent",
        },
        "campaigns": {
            "labels": [c["name"] for c in campaigns],
            "series": [
                {
                    "label": gettext("Target: ordered (%)"),
                    "data": [_pct(c["target_rate"]) for c in campaigns],
                },
                {
                    "label": gettext("Holdout: ordered (%)"),
                    "data": [_pct(c["holdout_rate"]) for c in campaigns],
                },
            ],
            "axis": "percent",
        },
    }
    return {
        "funnel": funnel,
        "months": months,
        "energy": figures["new-energy"],
        "dealers": dealers,
        "campaigns": campaigns,
        "charts": charts,
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
    elif chart == "campaigns":
        text = _csv(
            body["items"],
            [
                "campaign_id",
                "name",
                "members",
                "leads",
                "orders",
                "target_rate",
                "holdout_members",
                "holdout_orders",
                "holdout_rate",
            ],
        )
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
