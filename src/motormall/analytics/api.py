"""/admin/analytics: the carmaker's funnel, new-energy share and dealer league table."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from motormall.analytics import schemas, service
from motormall.analytics.store import Store
from motormall.platform.auth import Principal, Role
from motormall.platform.db import utcnow
from motormall.platform.deps import AppSettings, ReadSession, require

router = APIRouter(tags=["analytics"])
Admin = Annotated[Principal, require(Role.oem_admin)]
BrandQ = Annotated[str | None, Query(max_length=20, description="a brand code")]
CityQ = Annotated[str | None, Query(max_length=80, description="only this city's dealers")]
FromQ = Annotated[
    dt.datetime | None, Query(alias="from", description="start (inclusive); default: to - 90 days")
]
ToQ = Annotated[dt.datetime | None, Query(description="end (exclusive); default: now")]


def _answer(session, settings, fn, brand, city, start, end):
    now = utcnow()
    f = service.filters(session, brand=brand, city=city, start=start, end=end, now=now)
    store = Store(settings.analytics_dir)
    fresh = service.freshness(session, store, now=now, limit=settings.analytics_catch_up_on_read)
    return fn(session, store, f, fresh=fresh)


@router.get(
    "/admin/analytics/funnel", response_model=schemas.FunnelOut, response_model_by_alias=True
)
def funnel(
    session: ReadSession,
    settings: AppSettings,
    who: Admin,
    brand: BrandQ = None,
    city: CityQ = None,
    start: FromQ = None,
    to: ToQ = None,
):
    """People per stage, visit → lead → test drive → order → handover, in [from, to).
    A reversed range is 422 `period_reversed`, one over two years 422 `period_too_long`,
    an unknown brand 422 `unknown_brand`, a city without dealers 422 `unknown_city`."""
    return _answer(session, settings, service.funnel, brand, city, start, to)


@router.get(
    "/admin/analytics/new-energy", response_model=schemas.NewEnergyOut, response_model_by_alias=True
)
def new_energy(
    session: ReadSession,
    settings: AppSettings,
    who: Admin,
    brand: BrandQ = None,
    city: CityQ = None,
    start: FromQ = None,
    to: ToQ = None,
):
    """Orders reserved per month and the share that were new-energy (BEV, PHEV)."""
    return _answer(session, settings, service.new_energy, brand, city, start, to)


@router.get(
    "/admin/analytics/dealers", response_model=schemas.DealersOut, response_model_by_alias=True
)
def dealers(
    session: ReadSession,
    settings: AppSettings,
    who: Admin,
    brand: BrandQ = None,
    city: CityQ = None,
    start: FromQ = None,
    to: ToQ = None,
):
    """The dealer league table: leads, median response time, test drives, orders,
    conversion, finance approvals, CSAT with its integrity flags; best conversion first."""
    return _answer(session, settings, service.dealers, brand, city, start, to)
