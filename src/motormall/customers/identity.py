"""A customer's identity on file: the resident ID number, the ID photo and, only with explicit
biometric consent, the face template enrolled from that photo. Everything personal is sealed
(customers/vault.py); consent, withdrawal, deletion and every use of a template are audited.

The test-drive domain calls the port at the bottom (`biometric_consent`, `face_template`,
`id_number_hash`); it never reads this table.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from motormall.customers import rules
from motormall.customers.models import CustomerIdentity
from motormall.customers.vault import KeyMissing, vault
from motormall.platform import audit
from motormall.platform.config import Settings, get_settings
from motormall.platform.errors import Invalid, NotFound
from motormall.vision import faces, intake

ID_PHOTO_MAX_BYTES = 5 * 1024 * 1024  # an ID card photographed by a phone is well under this
ID_PHOTO_SIDE = 1024  # what the face models need; also all that is kept
ENTITY = "customer_identity"


def model_version() -> str:
    """The face model that makes templates now (faces.py names it once it has a name)."""
    return getattr(faces, "MODEL_VERSION", "dlib-resnet-v1")


# ---- the photo (no database: the route runs this before its transaction takes locks) ----


@dataclass(frozen=True)
class IdPhoto:
    jpeg: bytes  # re-encoded: upright, at most ID_PHOTO_SIDE, no EXIF (no place, no device)
    template: np.ndarray | None  # only with consent


def _one_face(image) -> None:
    """Exactly one face, found without describing it (no template without consent)."""
    find = getattr(faces, "find_faces", None)
    if find is None:  # a face model without a separate detector: enrol and forget
        _enrol(image)
        return
    count = len(find(image))
    if count == 0:
        raise Invalid("no_face", "No face was found in the ID photo; use a sharp, well-lit photo.")
    if count > 1:
        raise Invalid(
            "several_faces",
            "The ID photo shows more than one face; only the card holder may be in it.",
            faces=count,
        )


def _enrol(image) -> np.ndarray:
    try:
        return np.asarray(faces.enrol(image), dtype=np.float32)
    except Invalid as exc:  # the same codes, in words the catalogue has for this page
        if exc.code == "no_face":
            raise Invalid(
                "no_face", "No face was found in the ID photo; use a sharp, well-lit photo."
            ) from None
        if exc.code == "several_faces":
            raise Invalid(
                "several_faces",
                "The ID photo shows more than one face; only the card holder may be in it.",
                **exc.fields,
            ) from None
        raise


def read_id_photo(data: bytes, *, consent_biometrics: bool) -> IdPhoto:
    """Check an uploaded ID photo (an image, bounded, exactly one face) and, with consent,
    enrol the face template. Raises Invalid with intake's codes, `no_face`, `several_faces`."""
    photo = intake.load(data, max_bytes=ID_PHOTO_MAX_BYTES, max_side=ID_PHOTO_SIDE)
    template = _enrol(photo.image) if consent_biometrics else None
    if template is None:
        _one_face(photo.image)
    out = io.BytesIO()
    photo.image.save(out, "JPEG", quality=90)
    return IdPhoto(jpeg=out.getvalue(), template=template)


# ---- the record ------------------------------------------------------------------------


def _row(session: Session, customer_id: str, *, lock: bool = False) -> CustomerIdentity | None:
    query = select(CustomerIdentity).where(CustomerIdentity.customer_id == customer_id)
    return session.scalar(query.with_for_update() if lock else query)


def identity_of(session: Session, customer_id: str) -> CustomerIdentity:
    found = _row(session, customer_id)
    if found is None:
        raise NotFound("no_identity", "No identity is on file yet.")
    return found


def _template_bytes(template: np.ndarray) -> bytes:
    return np.ascontiguousarray(template, dtype="<f4").tobytes()


def _store_template(row: CustomerIdentity, template: np.ndarray, settings: Settings) -> None:
    row.face_template = vault(settings).seal(_template_bytes(template))
    row.face_dimensions = int(template.shape[0])
    row.face_model_version = model_version()


def _drop_biometrics(row: CustomerIdentity, *, drop_photo: bool) -> None:
    row.face_template = None
    row.face_dimensions = None
    row.face_model_version = None
    if drop_photo:
        row.id_photo = None


def put_identity(
    session: Session,
    customer_id: str,
    *,
    id_number: str,
    photo: IdPhoto | None,
    consent_biometrics: bool,
    now: dt.datetime,
    settings: Settings | None = None,
) -> CustomerIdentity:
    """Store the ID number, the photo (a new one, or the one on file) and, only with consent,
    the template. Without consent any template on file is deleted (consent withdrawn).

    `photo` comes from `read_id_photo` with the same consent; None keeps the photo on file
    (422 `id_photo_required` when there is none), enrolling it now if consent is new."""
    settings = settings or get_settings()
    resident = rules.parse_resident_id(id_number, today=now.date())
    box = vault(settings)
    row = _row(session, customer_id, lock=True)
    if photo is None and (row is None or row.id_photo is None):
        raise Invalid("id_photo_required", "Add a photo of your ID card.")
    had_consent = bool(row and row.consent_biometrics and row.face_template is not None)
    if row is None:
        row = CustomerIdentity(customer_id=customer_id, created_at=now)
        session.add(row)
    row.id_number = box.seal(resident.number.encode())
    row.id_number_hash = box.id_hash(resident.number)
    row.id_number_last4 = resident.last4
    row.updated_at = now
    if photo is not None:
        row.id_photo = box.seal(photo.jpeg)
    if consent_biometrics:
        template = photo.template if photo is not None else None
        if template is None and (photo is not None or row.face_template is None):
            template = _enrol(_photo_image(box.open(row.id_photo)))
        if template is not None:
            _store_template(row, template, settings)
        row.consent_biometrics = True
        row.consent_at = row.consent_at if had_consent else now
    else:
        _drop_biometrics(row, drop_photo=False)
        row.consent_biometrics = False
        row.consent_at = None
    session.flush()
    detail = {"photo": photo is not None, "consent_biometrics": consent_biometrics}
    audit.record(
        session,
        actor_id=customer_id,
        action="identity.updated",
        entity_type=ENTITY,
        entity_id=customer_id,
        detail=detail,
    )
    if consent_biometrics and not had_consent:
        _audit(session, customer_id, "identity.consent_given", model_version=model_version())
    if had_consent and not consent_biometrics:
        _audit(session, customer_id, "identity.consent_withdrawn", template_deleted=True)
    return row


def _photo_image(jpeg: bytes):
    return intake.load(jpeg, max_side=ID_PHOTO_SIDE).image


def _audit(session: Session, customer_id: str, action: str, **detail) -> None:
    audit.record(
        session,
        actor_id=customer_id,
        action=action,
        entity_type=ENTITY,
        entity_id=customer_id,
        detail=detail,
    )


def delete_biometrics(session: Session, customer_id: str, *, now: dt.datetime) -> None:
    """Delete the ID photo and the face template and withdraw consent; the ID number stays.
    Asking twice is harmless (and audited twice: each request is the customer's act)."""
    row = _row(session, customer_id, lock=True)
    had = {"photo": False, "template": False}
    if row is not None:
        had = {"photo": row.id_photo is not None, "template": row.face_template is not None}
        _drop_biometrics(row, drop_photo=True)
        row.consent_biometrics = False
        row.consent_at = None
        row.updated_at = now
        session.flush()
    _audit(
        session,
        customer_id,
        "identity.biometrics_deleted",
        photo_deleted=had["photo"],
        template_deleted=had["template"],
    )


@dataclass(frozen=True)
class IdentityView:
    id_number_masked: str
    has_id_photo: bool
    consent_biometrics: bool
    face_template: bool
    model_version: str | None
    updated_at: dt.datetime


def view(row: CustomerIdentity) -> IdentityView:
    """What the customer sees of their record: never the number, the photo or the template."""
    return IdentityView(
        id_number_masked=rules.masked(row.id_number_last4),
        has_id_photo=row.id_photo is not None,
        consent_biometrics=row.consent_biometrics,
        face_template=row.face_template is not None,
        model_version=row.face_model_version,
        updated_at=row.updated_at,
    )


# ---- the port for test drives ------------------------------------------------------------


def biometric_consent(session: Session, customer_id: str) -> bool:
    """True when the customer consented and a face template is on file (tower drives need
    both; without them the gate answers `consent_required`)."""
    row = _row(session, customer_id)
    return bool(row and row.consent_biometrics and row.face_template is not None)


def face_template(
    session: Session, customer_id: str, *, purpose: str, actor_id: str | int | None
) -> np.ndarray | None:
    """The customer's face template (float32, `faces.DIMENSIONS` long), or None without
    consent. Every call is audited as `identity.template_used` with its purpose.

    A template made by an older face model is useless to the current one: it is enrolled
    again from the sealed ID photo (consent covers it) before it is returned."""
    settings = get_settings()
    row = _row(session, customer_id)
    if row is None or not row.consent_biometrics or row.face_template is None:
        return None
    box = vault(settings)
    if row.face_model_version != model_version() and row.id_photo is not None:
        _store_template(row, _enrol(_photo_image(box.open(row.id_photo))), settings)
        session.flush()
    template = np.frombuffer(box.open(row.face_template), dtype="<f4").astype(np.float32)
    audit.record(
        session,
        actor_id=None if actor_id is None else str(actor_id),
        action="identity.template_used",
        entity_type=ENTITY,
        entity_id=customer_id,
        detail={"purpose": purpose, "model_version": row.face_model_version},
    )
    return template.reshape(row.face_dimensions)


def id_number_hash(session: Session, customer_id: str) -> str | None:
    """The keyed hash of the customer's ID number (equal numbers, equal hashes), or None."""
    return session.scalar(
        select(CustomerIdentity.id_number_hash).where(CustomerIdentity.customer_id == customer_id)
    )


# ---- key rotation ------------------------------------------------------------------------


@dataclass
class Rotation:
    resealed: int = 0  # rows with at least one value moved to the current key
    current: int = 0  # rows already all on the current key
    unreadable: list[str] | None = None  # rows no configured key opens (customer ids)
    last: str = ""  # the last customer id seen: the next batch starts after it


def rotate_batch(
    session: Session, settings: Settings, *, after: str = "", limit: int = 200
) -> Rotation:
    """Re-seal one batch of rows with the current key (rows locked in key order) and
    recompute their ID-number hashes. Rows already on the current key are left as they are,
    so running it again changes nothing."""
    box = vault(settings)
    rows = session.scalars(
        select(CustomerIdentity)
        .where(CustomerIdentity.customer_id > after)
        .order_by(CustomerIdentity.customer_id)
        .limit(limit)
        .with_for_update()
    ).all()
    done = Rotation(unreadable=[])
    for row in rows:
        done.last = row.customer_id
        try:
            changed = False
            for column in ("id_number", "id_photo", "face_template"):
                token = getattr(row, column)
                if token is not None and not box.is_current(token):
                    setattr(row, column, box.reseal(token))
                    changed = True
            number_hash = box.id_hash(box.open(row.id_number).decode())
        except KeyMissing:
            done.unreadable.append(row.customer_id)
            continue
        if number_hash != row.id_number_hash:
            row.id_number_hash = number_hash
            changed = True
        if changed:
            done.resealed += 1
        else:
            done.current += 1
    session.flush()
    return done


def rotate_all(
    transaction: Callable, settings: Settings, *, progress: Callable[[str], None], batch: int = 200
) -> Rotation:
    """Every row, one short transaction per batch (`transaction()` gives a session that
    commits), saying how far it got after each."""
    total = Rotation(unreadable=[])
    while True:
        with transaction() as session:
            done = rotate_batch(session, settings, after=total.last, limit=batch)
        if not done.last:
            return total
        total.resealed += done.resealed
        total.current += done.current
        total.unreadable += done.unreadable
        total.last = done.last
        progress(
            f"{total.resealed + total.current + len(total.unreadable)} identities: "
            f"{total.resealed} re-encrypted, {total.current} already on the current key"
            + (f", {len(total.unreadable)} unreadable" if total.unreadable else "")
        )
