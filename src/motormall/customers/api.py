"""Login, registration and the caller's own account."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from motormall.catalog.models import Dealer, Tower
from motormall.customers import schemas
from motormall.platform import audit, events
from motormall.platform.auth import Role, User, authenticate, create_user, issue_token
from motormall.platform.auth import revoke_token as _revoke
from motormall.platform.db import utcnow
from motormall.platform.deps import (
    AppSettings,
    CurrentPrincipal,
    DbSession,
    ReadSession,
    bearer_token,
)
from motormall.platform.errors import NotFound, Unauthenticated
from motormall.platform.ids import RecordId

router = APIRouter(tags=["accounts"])


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def login(
    session, settings, *, email: str, password: str, address: str
) -> tuple[User, str, dt.datetime]:
    """Check credentials and issue a token; shared by the API and the login page."""
    now = utcnow()
    user = authenticate(
        session,
        email=email,
        password=password,
        address=address,
        now=now,
        limits_on=settings.rate_limits_on,
        allowed=settings.login_failures_allowed,
        window_s=settings.login_failure_window_s,
    )
    if user is None:
        session.commit()  # keep the failure count, then refuse
        raise Unauthenticated("invalid_credentials", "E-mail or password is wrong.")
    expires = now + dt.timedelta(hours=settings.token_ttl_hours)
    token = issue_token(session, user, ttl=expires - now, now=now)
    return user, token, expires


@router.post("/auth/token", response_model=schemas.TokenOut)
def create_token(
    body: schemas.TokenIn, request: Request, session: DbSession, settings: AppSettings
):
    _, token, expires = login(
        session, settings, email=body.email, password=body.password, address=client_address(request)
    )
    return schemas.TokenOut(access_token=token, expires_at=expires.isoformat())


@router.delete("/auth/token", status_code=204)
def revoke_token(request: Request, session: DbSession, who: CurrentPrincipal):
    """Log out: the token in use stops working at once."""
    _revoke(session, bearer_token(request), now=utcnow())
    return Response(status_code=204)


def register(session, data: schemas.RegisterIn) -> User:
    user = create_user(
        session,
        email=data.email,
        password=data.password,
        role=Role.customer,
        name=data.name,
        phone=data.phone,
        city=data.city,
    )
    audit.record(
        session, actor_id=user.id, action="customer.register", entity_type="user", entity_id=user.id
    )
    events.emit(
        session,
        "customer.registered",
        entity_type="user",
        entity_id=user.id,
        customer_id=user.id,
        payload={"city": data.city},
    )
    return user


@router.post("/auth/register", status_code=201, response_model=schemas.Created)
def register_customer(body: schemas.RegisterIn, session: DbSession):
    return schemas.Created(id=register(session, body).id)


@router.get("/me", response_model=schemas.MeOut)
def me(session: ReadSession, who: CurrentPrincipal):
    user = session.get(User, who.user_id)
    dealer = (
        session.scalar(select(Dealer.code).where(Dealer.id == user.dealer_id))
        if user.dealer_id
        else None
    )
    tower = (
        session.scalar(select(Tower.code).where(Tower.id == user.tower_id))
        if user.tower_id
        else None
    )
    return schemas.MeOut(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        dealer=dealer,
        tower=tower,
        phone=user.phone,
        city=user.city,
    )


@router.get("/customers/{customer_id}/timeline", response_model=schemas.Timeline)
def customer_timeline(
    customer_id: str,
    session: ReadSession,
    who: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[RecordId | None, Query(description="id of the last event seen")] = None,
):
    """Every event of one customer across channels, newest first.

    OEM admins see anyone's; dealer staff only customers who have dealt with their dealer
    (a lead, test drive or order there); a customer sees their own. Anyone else: 404.
    """
    if not events.may_see_timeline(session, who, customer_id):
        raise NotFound("not_found", "No such customer.")
    rows = events.timeline(session, customer_id, limit=limit + 1, before_id=cursor)
    dealer_codes = dict(
        session.execute(
            select(Dealer.id, Dealer.code).where(
                Dealer.id.in_({r.dealer_id for r in rows if r.dealer_id})
            )
        ).all()
    )
    items = [
        schemas.TimelineEvent(
            id=r.id,
            at=r.at.isoformat(),
            type=r.type,
            entity_type=r.entity_type,
            entity_id=r.entity_id,
            dealer=dealer_codes.get(r.dealer_id),
            payload=r.payload,
        )
        for r in rows[:limit]
    ]
    return schemas.Timeline(
        items=items, next_cursor=str(items[-1].id) if len(rows) > limit else None
    )
