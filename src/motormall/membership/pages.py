"""The storefront's membership page: per brand tier, points, what the next tier takes, the
latest points lines, and a join button for every brand not joined yet."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from motormall.catalog.models import Brand
from motormall.membership import service
from motormall.platform.auth import Role
from motormall.platform.db import utcnow
from motormall.platform.deps import DbSession, ReadSession
from motormall.platform.errors import DomainError, status_of
from motormall.web.render import check_csrf, page_principal, render

router = APIRouter(include_in_schema=False)


def _customer(request: Request):
    who = page_principal(request)
    if who is None or who.role != Role.customer:
        return None, RedirectResponse(
            f"/login?{urlencode({'next': '/memberships'})}", status_code=303
        )
    return who, None


def _page(request, session, who, *, error=None, status_code=200):
    now = utcnow()
    cards = []
    for s in service.standings_of(session, who.user_id, now=now):
        brand = service.brand_by_code(session, s.brand)
        m = service.membership_of(session, who.user_id, brand.id)
        cards.append({"standing": s, "lines": service.history(session, m, limit=10)})
    joined = {c["standing"].brand for c in cards}
    brands = [
        b for b in session.scalars(select(Brand).order_by(Brand.code)) if b.code not in joined
    ]
    return render(
        request,
        "memberships.html",
        status_code=status_code,
        cards=cards,
        brands=brands,
        error=error,
    )


@router.get("/memberships")
def memberships_page(request: Request, session: ReadSession):
    who, away = _customer(request)
    return away or _page(request, session, who)


@router.post("/memberships/join")
def join_page(
    request: Request,
    session: DbSession,
    brand: Annotated[str, Form(max_length=20)],
    csrf_token: Annotated[str, Form()] = "",
):
    who, away = _customer(request)
    if away:
        return away
    try:
        check_csrf(request, csrf_token)
        service.join(session, who.user_id, brand, now=utcnow())
    except DomainError as exc:
        session.rollback()
        return _page(request, session, who, error=exc.detail, status_code=status_of(exc))
    return RedirectResponse("/memberships", status_code=303)
