"""The OEM console's campaigns: the builder (segment editor with its live size, offer,
schedule, budget, channel) and each campaign's results with a chart against its holdout."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select

from motormall.catalog.models import Brand
from motormall.marketing import campaigns, results, schemas, segments
from motormall.marketing.models import Campaign
from motormall.platform.auth import Role
from motormall.platform.db import utcnow
from motormall.platform.deps import DbSession, ReadSession
from motormall.platform.errors import DomainError, status_of
from motormall.web.render import check_csrf, page_principal, render

router = APIRouter(include_in_schema=False)


def _admin(request: Request):
    who = page_principal(request)
    if who is None or who.role != Role.oem_admin:
        return None, RedirectResponse("/login?next=/oem/campaigns", status_code=303)
    return who, None


def _page(request, session, *, error=None, form=None, status_code=200):
    rows = session.scalars(select(Campaign).order_by(Campaign.created_at.desc()).limit(50))
    items = [{"c": campaigns.out(session, c), "r": results.results(session, c)} for c in rows]
    brands = session.scalars(select(Brand).order_by(Brand.code)).all()
    return render(
        request,
        "oem_campaigns.html",
        status_code=status_code,
        items=items,
        brands=brands,
        error=error,
        form=form or {},
    )


@router.get("/oem/campaigns")
def campaigns_page(request: Request, session: ReadSession):
    who, away = _admin(request)
    return away or _page(request, session)


@router.post("/oem/campaigns/size", response_class=HTMLResponse)
def segment_size(
    request: Request,
    session: ReadSession,
    segment: Annotated[str, Form(max_length=4000)] = "",
    csrf_token: Annotated[str, Form()] = "",
):
    """The builder's live size (htmx swaps this fragment in as the rule is typed)."""
    who, away = _admin(request)
    if away:
        return HTMLResponse("", status_code=403)
    try:
        check_csrf(request, csrf_token)
        size = segments.size(session, segment, now=utcnow())
    except DomainError as exc:
        return render(request, "_segment_size.html", error=exc.detail)
    return render(request, "_segment_size.html", size=size, error=None)


@router.post("/oem/campaigns")
def create_campaign(
    request: Request,
    session: DbSession,
    brand: Annotated[str, Form(max_length=20)],
    name: Annotated[str, Form(max_length=120)],
    segment: Annotated[str, Form(max_length=4000)],
    code: Annotated[str, Form(max_length=40)],
    discount: Annotated[str, Form(max_length=20)],
    starts_at: Annotated[str, Form(max_length=40)],
    ends_at: Annotated[str, Form(max_length=40)],
    max_redemptions: Annotated[str, Form(max_length=10)] = "",
    budget: Annotated[str, Form(max_length=20)] = "",
    channel: Annotated[str, Form(max_length=10)] = "inbox",
    csrf_token: Annotated[str, Form()] = "",
):
    who, away = _admin(request)
    if away:
        return away
    form = dict(
        brand=brand,
        name=name,
        segment=segment,
        code=code,
        discount=discount,
        starts_at=starts_at,
        ends_at=ends_at,
        max_redemptions=max_redemptions,
        budget=budget,
        channel=channel,
    )
    try:
        check_csrf(request, csrf_token)
        body = schemas.CampaignIn(
            brand=brand,
            name=name,
            segment=segment,
            channel=channel,
            offer={
                "kind": "coupon",
                "code": code,
                "discount": {"amount": discount, "currency": "CNY"},
                "max_redemptions": int(max_redemptions) if max_redemptions else None,
            },
            starts_at=_local(starts_at),
            ends_at=_local(ends_at),
            budget={"amount": budget, "currency": "CNY"} if budget else None,
        )
        campaigns.create(session, body, actor_id=who.user_id, now=utcnow())
    except (DomainError, ValidationError, ValueError) as exc:
        session.rollback()
        detail = exc.detail if isinstance(exc, DomainError) else _first_error(exc)
        status = status_of(exc) if isinstance(exc, DomainError) else 422
        return _page(request, session, error=detail, form=form, status_code=status)
    return RedirectResponse("/oem/campaigns", status_code=303)


def _local(value: str) -> dt.datetime:
    """A datetime-local field, read as China Standard Time (the console's time zone)."""
    at = dt.datetime.fromisoformat(value)
    return at if at.tzinfo else at.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        e = exc.errors()[0]
        return f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
    return str(exc)
