"""The carmaker's tower policy (`GET/PUT /admin/test-drives/policy`): versioned, every PUT a new
version, the latest in force. The credit threshold lives in finance's credit policy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from motormall.platform import audit
from motormall.platform.errors import Conflict, Invalid
from motormall.testdrives import rules
from motormall.testdrives.models import DrivePolicy


def current(session: Session) -> dict:
    row = session.scalar(select(DrivePolicy).order_by(DrivePolicy.version.desc()).limit(1))
    return {**rules.POLICY_DEFAULTS, **(row.values if row else {})}


def update(session: Session, changes: dict, *, actor_id: str, now: dt.datetime) -> dict:
    """A new version with `changes` (any subset) over the current one; audited."""
    changes = dict(changes)
    for key, value in changes.items():
        low, high = rules.POLICY_BOUNDS[key]
        if isinstance(low, Decimal):  # money: kept as a string in the stored JSON
            value = Decimal(str(value))
            changes[key] = f"{value:.2f}"
        if not low <= value <= high:
            raise Invalid("policy_invalid", f"{key} must be {low}–{high}.", field=key)
    version = session.scalar(select(DrivePolicy.version).order_by(DrivePolicy.version.desc()))
    merged = {**current(session), **changes}
    if merged["tower_charge_after_hours"] < merged["tower_report_after_hours"]:
        raise Invalid(
            "policy_invalid",
            "The late fee cannot start before the carmaker is told: "
            "tower_charge_after_hours must be at least tower_report_after_hours.",
            field="tower_charge_after_hours",
        )
    session.add(
        DrivePolicy(version=(version or 0) + 1, values=merged, created_by=actor_id, created_at=now)
    )
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # two admins saved at once: the second reloads and tries again
        raise Conflict("policy_changed", "The policy changed meanwhile; reload it.") from None
    audit.record(
        session,
        actor_id=actor_id,
        action="test_drive_policy.update",
        entity_type="test_drive_policy",
        entity_id=(version or 0) + 1,
        detail={"changes": changes},
    )
    return merged
