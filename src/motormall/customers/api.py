"""Login, registration and the caller's own account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from motormall.catalog.models import Dealer, Tower
from motormall.customers import schemas, timeline
from motormall.customers.events import CustomerRegistered
from motormall.customers.security import (
    client_address,
    device_token_of,
    login,
    throttle_registration,
)
from motormall.notifications.service import notify
from motormall.platform import audit, events
from motormall.platform.auth import Role, User, create_user
from motormall.platform.auth import revoke_token as _revoke
from motormall.platform.db import utcnow
from motormall.platform.deps import (
    AppSettings,
    CurrentPrincipal,
    DbSession,
    ReadSession,
    bearer_token,
)
from motormall.platform.ids import RecordId
from motormall.platform.origin import request_origin

router = APIRouter(tags=["accounts"])


@router.post("/auth/token", response_model=schemas.TokenOut)
def create_token(
    body: schemas.TokenIn, request: Request, session: DbSession, settings: AppSettings
):
    """Log in. Keep the reply's `device_token` and send it back as `X-Device-Token` on later
    logins: a device that logged in before is not slowed by other people's failed guesses."""
    done = login(
        session,
        settings,
        email=body.email,
        password=body.password,
        address=client_address(request),
        device_token=device_token_of(request),
        origin=request_origin(request),
    )
    return schemas.TokenOut(
        access_token=done.token, expires_at=done.expires.isoformat(), device_token=done.device_token
    )


@router.delete("/auth/token", status_code=204)
def revoke_token(request: Request, session: DbSession, who: CurrentPrincipal):
    """Log out: the token in use stops working at once."""
    _revoke(session, bearer_token(request), now=utcnow())
    return Response(status_code=204)


def register(session, data: schemas.RegisterIn) -> User:
    user = create_user(
        session,
        locale=data.locale,
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
    events.publish(
        session, CustomerRegistered(entity_id=user.id, customer_id=user.id, city=data.city)
    )
    notify(session, user.id, "welcome", link="/search", name=user.name)
    return user


@router.post("/auth/register", status_code=201, response_model=schemas.Created)
def register_customer(
    body: schemas.RegisterIn, request: Request, session: DbSession, settings: AppSettings
):
    """Open a customer account; registrations are counted per address (429 past the ceiling)."""
    throttle_registration(session, settings, client_address(request))
    return schemas.Created(id=register(session, body).id)


@router.get("/me", response_model=schemas.MeOut)
def me(session: ReadSession, who: CurrentPrincipal):
    return _me_out(session, session.get(User, who.user_id))


@router.patch("/me", response_model=schemas.MeOut)
def update_me(body: schemas.MeUpdate, session: DbSession, who: CurrentPrincipal):
    """Change the language notifications to this account are written in (`en`, `zh-CN`);
    registration set it first."""
    user = session.get(User, who.user_id)
    if user.locale != body.locale:
        audit.record(
            session,
            actor_id=who.user_id,
            action="account.locale_changed",
            entity_type="user",
            entity_id=user.id,
            detail={"from": user.locale, "to": body.locale},
        )
        user.locale = body.locale
    return _me_out(session, user)


def _me_out(session, user: User) -> schemas.MeOut:
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
        locale=user.locale,
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
    rows = timeline.read(session, who, customer_id, limit=limit + 1, before_id=cursor)
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
