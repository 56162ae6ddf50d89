"""Membership routes: join a brand, read where you stand, spend points; the carmaker's rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from motormall.membership import schemas, service
from motormall.platform.auth import Principal, Role
from motormall.platform.db import utcnow
from motormall.platform.deps import DbSession, ReadSession, require
from motormall.platform.errors import NotFound

router = APIRouter(tags=["membership"])
Customer = Annotated[Principal, require(Role.customer)]
Admin = Annotated[Principal, require(Role.oem_admin)]
BrandCode = Annotated[str, Path(min_length=1, max_length=20)]


def _out(s: service.Standing) -> schemas.MembershipOut:
    return schemas.MembershipOut(**service.as_dict(s))


@router.post("/me/memberships", status_code=201, response_model=schemas.MembershipOut)
def join(body: schemas.JoinIn, session: DbSession, who: Customer):
    """Join a brand's membership (each brand is its own); twice → 409 `already_exists`."""
    now = utcnow()
    membership = service.join(session, who.user_id, body.brand, now=now)
    return _out(service.standing(session, membership, now=now))


@router.get("/me/memberships", response_model=schemas.Memberships)
def my_memberships(session: ReadSession, who: Customer):
    """Per brand: tier, spendable points, super member, and what the next tier takes."""
    return schemas.Memberships(
        items=[_out(s) for s in service.standings_of(session, who.user_id, now=utcnow())]
    )


def _mine(session, who: Principal, brand: str):
    b = service.brand_by_code(session, brand)
    m = service.membership_of(session, who.user_id, b.id)
    if m is None:
        raise NotFound("membership_not_found", f"You are not a {b.code} member.")
    return b, m


@router.get("/me/memberships/{brand}/points", response_model=schemas.PointsHistory)
def my_points(brand: BrandCode, session: ReadSession, who: Customer):
    """The latest lines of the points ledger, newest first."""
    b, m = _mine(session, who, brand)
    return schemas.PointsHistory(
        brand=b.code,
        points=m.points,
        items=[
            schemas.PointsLine(
                id=e.id,
                kind=e.kind,
                points=e.points,
                source=e.source,
                at=e.at.isoformat(),
                expires_at=e.expires_at.isoformat() if e.expires_at else None,
            )
            for e in service.history(session, m)
        ],
    )


@router.post("/me/memberships/{brand}/points/burn", response_model=schemas.MembershipOut)
def burn_points(brand: BrandCode, body: schemas.BurnIn, session: DbSession, who: Customer):
    """Spend points on an offer; more than the balance → 409 `insufficient_points`."""
    now = utcnow()
    m = service.burn(session, who.user_id, brand, body.points, body.reason, now=now)
    return _out(service.standing(session, m, now=now))


@router.get("/admin/memberships/{brand}/programme", response_model=schemas.ProgrammeIn)
def get_programme(brand: BrandCode, session: ReadSession, who: Admin):
    b = service.brand_by_code(session, brand)
    return service.programme_to_json(service.programme_of(session, b.id))


@router.put("/admin/memberships/{brand}/programme", response_model=schemas.ProgrammeIn)
def put_programme(brand: BrandCode, body: schemas.ProgrammeIn, session: DbSession, who: Admin):
    """The carmaker's rules: tiers lowest first (`member` takes no conditions), points per 100
    spent, how long points stay valid, points per activity."""
    p = service.set_programme(session, brand, body.model_dump(), actor_id=who.user_id, now=utcnow())
    return service.programme_to_json(p)
