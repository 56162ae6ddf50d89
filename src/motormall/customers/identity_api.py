"""The caller's identity on file: ID number, ID photo, biometric consent."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile

from motormall.customers import identity, rules
from motormall.customers.schemas import IdentityOut
from motormall.platform.auth import Principal, Role
from motormall.platform.db import utcnow
from motormall.platform.deps import AppSettings, DbSession, ReadSession, require

router = APIRouter(tags=["accounts"])
Customer = Annotated[Principal, require(Role.customer)]


def identity_out(row) -> IdentityOut:
    seen = identity.view(row)
    return IdentityOut(**{**seen.__dict__, "updated_at": seen.updated_at.isoformat()})


def read_upload(upload: UploadFile | None) -> bytes | None:
    """The upload, read to one byte past the limit (intake refuses it), or None if absent."""
    if upload is None or (not upload.filename and not upload.size):
        return None
    return upload.file.read(identity.ID_PHOTO_MAX_BYTES + 1)


@router.put("/me/identity", response_model=IdentityOut)
def put_identity(
    session: DbSession,
    settings: AppSettings,
    who: Customer,
    id_number: Annotated[str, Form(max_length=40, description="18-character resident ID")],
    consent_biometrics: Annotated[
        bool,
        Form(description="true: keep a face template from the photo for tower test drives"),
    ] = False,
    id_photo: Annotated[
        UploadFile | None,
        File(description="the ID card's photo page (JPEG, PNG or WebP); optional when on file"),
    ] = None,
):
    """Store the ID number and ID photo; with `consent_biometrics=true` also a face template
    from the photo (tower test drives need it). Without consent no template is kept and any
    template on file is deleted. 422 `invalid_id_number`, `no_face`, `several_faces`,
    `id_photo_required`, or an image code (`not_an_image`, `image_too_large`, ...)."""
    now = utcnow()
    rules.parse_resident_id(id_number, today=now.date())  # cheap refusals before the photo
    data = read_upload(id_photo)
    photo = (
        identity.read_id_photo(data, consent_biometrics=consent_biometrics)
        if data is not None
        else None
    )
    row = identity.put_identity(
        session,
        who.user_id,
        id_number=id_number,
        photo=photo,
        consent_biometrics=consent_biometrics,
        now=now,
        settings=settings,
    )
    return identity_out(row)


@router.get("/me/identity", response_model=IdentityOut)
def get_identity(session: ReadSession, who: Customer):
    """What is on file, masked; 404 `no_identity` before the first PUT."""
    return identity_out(identity.identity_of(session, who.user_id))


@router.delete("/me/biometrics", status_code=204)
def delete_biometrics(session: DbSession, who: Customer):
    """Delete the ID photo and face template and withdraw biometric consent (audited)."""
    identity.delete_biometrics(session, who.user_id, now=utcnow())
    return Response(status_code=204)
