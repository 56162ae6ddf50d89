"""The storefront's "find this car" page (a photo from the phone's camera or gallery) and the
OEM console's reference photos page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from motormall.catalog.listing import vehicle_out
from motormall.catalog.models import CarModel
from motormall.platform.auth import Role
from motormall.platform.deps import AppSettings, DbSession, ReadSession
from motormall.platform.errors import DomainError
from motormall.platform.geo import parse_near
from motormall.platform.ids import RecordId
from motormall.vision import intake, service
from motormall.web.pages import _cities, _staff_or_login
from motormall.web.render import check_csrf, error_text, render

router = APIRouter(include_in_schema=False)


@router.get("/find")
def find_page(request: Request, session: ReadSession):
    return render(request, "find.html", cities=_cities(session), form={}, result=None)


@router.post("/find")
def find_submit(
    request: Request,
    session: ReadSession,
    settings: AppSettings,
    image: UploadFile,
    csrf_token: Annotated[str, Form()] = "",
    city: Annotated[str, Form(max_length=80)] = "",
    near: Annotated[str, Form(max_length=60)] = "",
):
    cities = _cities(session)
    if city and not near:
        near = next((c["near"] for c in cities if c["name"] == city), "")
    form = {"city": city, "near": near}
    try:
        check_csrf(request, csrf_token)
        with service.photo_slot():
            found = service.photo_search(
                session,
                settings,
                image.file.read(intake.MAX_BYTES + 1),
                near=parse_near(near) if near else None,
            )
    except DomainError as exc:
        return render(
            request,
            "find.html",
            status_code=422,
            cities=cities,
            form=form,
            result=None,
            error=error_text(request, exc),
        )
    result = {
        "basis": found.basis,
        "matches": found.matches,
        "body_type": found.body_type,
        "unknown": found.unknown,
        "stock_body_types": found.stock_body_types,
        "vehicles": [vehicle_out(h.vehicle, h.distance_km) for h in found.hits],
    }
    return render(request, "find.html", cities=cities, form=form, result=result)


def _admin(request: Request):
    return _staff_or_login(request, {Role.oem_admin})


@router.get("/oem/references")
def references_page(request: Request, session: ReadSession, done: str | None = None):
    principal, redirect = _admin(request)
    if redirect:
        return redirect
    return _references(request, session, done=done)


def _references(request, session, *, done=None, error=None, status_code=200):
    counts = service.reference_counts(session)
    models = list(session.scalars(select(CarModel).order_by(CarModel.brand_id, CarModel.name)))
    return render(
        request,
        "oem_references.html",
        status_code=status_code,
        models=[{"model": m, "references": counts.get(m.id, 0)} for m in models],
        recognisable=service.RECOGNISABLE_REFERENCES,
        recommended=service.RECOMMENDED_REFERENCES,
        done=done,
        error=error,
    )


@router.post("/oem/references")
def references_upload(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    model_id: Annotated[RecordId, Form()],
    photos: list[UploadFile],
    csrf_token: Annotated[str, Form()] = "",
    replace: Annotated[bool, Form()] = False,
):
    principal, redirect = _admin(request)
    if redirect:
        return redirect
    try:
        check_csrf(request, csrf_token)
        got = [(p.filename or "photo", p.file.read(intake.MAX_BYTES + 1)) for p in photos[:50]]
        prepared = service.prepare_references(settings, got)
        result = service.set_references(
            session, model_id, prepared, actor_id=principal.user_id, replace=replace
        )
    except DomainError as exc:
        session.rollback()
        return _references(request, session, error=error_text(request, exc), status_code=422)
    return RedirectResponse(f"/oem/references?done={result['model_id']}", status_code=303)
