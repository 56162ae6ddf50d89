"""Releasing a tower car: the face check against the customer's ID template, and the
carmaker's review of doubtful checks.

The check is slow (a face model over several frames), so it runs outside any row lock and
outside any transaction: `prepare` reads the drive and the template, the caller commits,
runs `check`, and `apply` locks the drive and acts only if it is still waiting. Frames are
never stored; each check leaves a `FaceCheck` row with its figures and decision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from motormall.customers import identity
from motormall.platform import audit
from motormall.platform.auth import Principal, Role
from motormall.platform.config import Settings
from motormall.platform.errors import Conflict, Forbidden, Invalid, NotFound
from motormall.testdrives import rules, service
from motormall.testdrives.events import TestDriveOut
from motormall.testdrives.models import FaceCheck, TestDrive
from motormall.vision import faces

MIN_FRAMES, MAX_FRAMES = 1, 5  # CONTRACT: 1-5 `selfie` parts; liveness needs 3 or more
DONE = ("out", "returned", "purchased")  # released once: a repeat answers "released"


@dataclass(frozen=True)
class Outcome:
    status: str  # released | review | refused
    drive: TestDrive
    check: FaceCheck | None = None


@dataclass(frozen=True)
class Ticket:
    """What the check needs, read before it: no row stays locked while faces are compared."""

    drive_id: str
    challenge: str
    template: np.ndarray


def check_frame_count(n: int) -> None:
    if not MIN_FRAMES <= n <= MAX_FRAMES:
        raise Invalid(
            "frame_count",
            f"Send {MIN_FRAMES} to {MAX_FRAMES} frames (3 or more for the head turn); got {n}.",
            frames=n,
        )


def _tower_device_drive(session: Session, who: Principal, drive_id: str, *, lock=False):
    """Only a tower device, and only for a drive at its own tower (else 404)."""
    drive = service.get_for(session, who, drive_id, lock=lock)
    if who.role != Role.tower or drive.kind != "tower":
        raise service.not_found(drive_id)
    return drive


def _settled(drive: TestDrive) -> Outcome | None:
    """A repeat after the decision: the same answer, no new check."""
    if drive.status in DONE and drive.out_at is not None:
        return Outcome("released", drive)
    if drive.status == "review":
        return Outcome("review", drive)
    if drive.status != "booked":
        raise Conflict("not_releasable", f"The drive is {drive.status}; nothing to release.")
    return None


def _check_open(drive: TestDrive, now: dt.datetime) -> None:
    if drive.locked_until is not None and drive.locked_until > now:
        raise Conflict(
            "drive_locked",
            "Too many failed face checks; try again later or ask the carmaker.",
            locked_until=drive.locked_until.isoformat(),
        )
    if now > drive.ends_at:
        raise Conflict("drive_expired", "The drive's time is over; book again.")


def prepare(
    session: Session, who: Principal, drive_id: str, *, now: dt.datetime
) -> Outcome | Ticket:
    """The drive's state (a repeat gets its earlier answer), or what the check needs. Reading
    the template is audited as a use of it."""
    drive = _tower_device_drive(session, who, drive_id)
    settled = _settled(drive)
    if settled is not None:
        return settled
    _check_open(drive, now)
    template = identity.face_template(
        session, drive.customer_id, purpose="tower_release", actor_id=who.user_id
    )
    if template is None:
        raise Forbidden(
            "consent_required", "The customer withdrew consent to the face check; no release."
        )
    return Ticket(drive.id, drive.challenge or faces.CHALLENGES[0], template)


def check(ticket: Ticket, frames: Sequence[Image.Image], *, settings: Settings) -> faces.Check:
    """The face model over the frames (slow; no database). Invalid for frames to redo."""
    return faces.check(
        ticket.template,
        frames,
        ticket.challenge,
        threshold=settings.face_match_threshold,
        review_upper=settings.face_review_upper,
        processes=settings.face_processes,
    )


def model_version(result: faces.Check) -> str:
    return getattr(result, "model_version", None) or getattr(
        faces, "MODEL_VERSION", "dlib-resnet-v1"
    )


def apply(
    session: Session,
    who: Principal,
    drive_id: str,
    result: faces.Check,
    *,
    frames: int,
    settings: Settings,
    now: dt.datetime,
) -> Outcome:
    """Lock the drive and act on the check, if it is still waiting for one: release it, send
    it to a person, or count a mismatch (the third locks the drive for a cooling period)."""
    drive = _tower_device_drive(session, who, drive_id, lock=True)
    settled = _settled(drive)
    if settled is not None:  # another attempt decided meanwhile
        return settled
    _check_open(drive, now)
    outcome = rules.release_outcome(result.decision, result.liveness_ok)
    row = FaceCheck(
        drive_id=drive.id,
        at=now,
        frames=frames,
        distance=float(result.distance),
        decision=result.decision,
        liveness_ok=result.liveness_ok,
        liveness_reason=result.liveness_reason,
        outcome=outcome,
        model_version=model_version(result)[:80],
        threshold=settings.face_match_threshold,
    )
    session.add(row)
    if outcome == "released":
        _release(session, drive, now=now)
    elif outcome == "review":
        drive.status = "review"
    else:
        _count_mismatch(drive, now=now)
    session.flush()
    return Outcome(outcome, drive, row)


def _release(session: Session, drive: TestDrive, *, now: dt.datetime) -> None:
    drive.status = "out"
    drive.out_at = now
    drive.mismatches = 0
    service.announce(session, drive, TestDriveOut, now=now)


def _count_mismatch(drive: TestDrive, *, now: dt.datetime) -> None:
    drive.mismatches += 1
    if drive.mismatches >= rules.MAX_MISMATCHES:
        drive.locked_until = now + rules.COOLING
        drive.mismatches = 0


def face_mismatch(drive: TestDrive) -> Forbidden:
    fields = {"locked_until": drive.locked_until.isoformat()} if drive.locked_until else {}
    return Forbidden(
        "face_mismatch",
        "The face does not match the ID on file; the car stays in its bay.",
        attempts_left=rules.MAX_MISMATCHES - drive.mismatches if not fields else 0,
        **fields,
    )


# ---- the carmaker's review queue -------------------------------------------------------------


def waiting(session: Session, *, limit: int = 100) -> list[tuple[FaceCheck, TestDrive]]:
    """Checks a person must decide, oldest first."""
    rows = session.execute(
        select(FaceCheck, TestDrive)
        .join(TestDrive, TestDrive.id == FaceCheck.drive_id)
        .where(
            FaceCheck.outcome == "review",
            FaceCheck.reviewed_at.is_(None),
            TestDrive.status == "review",
        )
        .order_by(FaceCheck.at, FaceCheck.id)
        .limit(limit)
    )
    return [(c, d) for c, d in rows]


def review(
    session: Session,
    who: Principal,
    check_id: str,
    *,
    decision: str,
    note: str,
    now: dt.datetime,
) -> Outcome:
    """A person at the carmaker releases the car or refuses (a refusal counts as a mismatch;
    the customer may try again at the kiosk). Audited; deciding twice is 409."""
    if decision not in ("release", "refuse"):
        raise Invalid("decision_invalid", "Decide release or refuse.")
    found = session.get(FaceCheck, check_id)
    if found is None or found.outcome != "review":
        raise NotFound("face_check_not_found", f"No face check {check_id!r} to review.")
    # lock order: the drive, then its check
    drive = session.scalar(
        select(TestDrive).where(TestDrive.id == found.drive_id).with_for_update()
    )
    row = session.scalar(select(FaceCheck).where(FaceCheck.id == check_id).with_for_update())
    if row.reviewed_at is not None or drive.status != "review":
        raise Conflict("already_reviewed", "Someone has already decided this check.")
    row.reviewed_by, row.reviewed_at = who.user_id, now
    row.review_decision, row.review_note = decision, note
    if decision == "release":
        _release(session, drive, now=now)
    else:
        drive.status = "booked"
        _count_mismatch(drive, now=now)
    audit.record(
        session,
        actor_id=who.user_id,
        action=f"test_drive.review_{decision}",
        entity_type="test_drive",
        entity_id=drive.id,
        detail={"check_id": row.id, "distance": row.distance, "note": note},
    )
    session.flush()
    return Outcome("released" if decision == "release" else "refused", drive, row)
