"""Test-drive rules: the dealer's slot grid and the tower's quota. Plain Python, no database,
no clock (pass `now`)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from motormall.aftersales.rules import opening

KINDS = ("dealer", "tower")
# a dealer without its own schedule: hour-long drives, one at a time
SLOT_MINUTES = 60
LANES = 1
# the carmaker's tower policy before any PUT (CONTRACT: 5 drives in 60 days, 3 days out)
POLICY_DEFAULTS = {
    "tower_max_drives": 5,
    "tower_window_days": 60,
    "tower_drive_days": 3,
    # the overdue chase, from the due time: the customer at once, the carmaker after
    # `report` hours, a late fee per started day late once `charge` hours have passed
    "tower_report_after_hours": 24,
    "tower_charge_after_hours": 48,
    "tower_late_fee_per_day": "300.00",  # CNY; a string in the stored policy (JSON)
}
POLICY_BOUNDS = {
    "tower_max_drives": (1, 50),
    "tower_window_days": (1, 365),
    "tower_drive_days": (1, 14),
    "tower_report_after_hours": (1, 24 * 14),
    "tower_charge_after_hours": (1, 24 * 30),
    "tower_late_fee_per_day": (Decimal("0.00"), Decimal("10000.00")),
}
# the kiosk code: no 0/O, 1/I/L, so it can be read off a phone and typed without doubt
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def slot_starts(
    opening_hours: dict, timezone: str, day: dt.date, *, minutes: int, now: dt.datetime
) -> list[dt.datetime]:
    """Every slot start (UTC) on `day` whose whole slot is inside opening hours and which has
    not begun yet. Slots are laid end to end from opening time."""
    hours = opening(opening_hours, day, timezone)
    if hours is None:
        return []
    opens, closes = hours
    length = dt.timedelta(minutes=minutes)
    out, t = [], opens
    while t + length <= closes:
        if t > now:
            out.append(t.astimezone(dt.UTC))
        t += length
    return out


def slot_problem(
    opening_hours: dict, timezone: str, start: dt.datetime, *, minutes: int, now: dt.datetime
) -> str | None:
    """Why a dealer drive cannot start at `start` (a reason code), or None."""
    if start <= now:
        return "slot_in_past"
    day = start.astimezone(ZoneInfo(timezone)).date()
    if start not in slot_starts(opening_hours, timezone, day, minutes=minutes, now=now):
        return "outside_opening_hours"
    return None


@dataclass(frozen=True)
class PastDrive:
    """A tower drive that counts against the quota: booked at `start` for `model_id`."""

    start: dt.datetime
    model_id: int


def quota_problem(
    past: Sequence[PastDrive], model_id: int, start: dt.datetime, policy: dict
) -> str | None:
    """`quota_exceeded` when the window ending at `start` already holds the maximum, or
    `model_already_driven` when it holds this model; None when the drive may be booked.

    The window is rolling: drives with start in (start - window_days, start] count, so a
    drive exactly window_days earlier has dropped out."""
    since = start - dt.timedelta(days=policy["tower_window_days"])
    inside = [d for d in past if since < d.start <= start]
    if len(inside) >= policy["tower_max_drives"]:
        return "quota_exceeded"
    if any(d.model_id == model_id for d in inside):
        return "model_already_driven"
    return None


# --- dealer drives -------------------------------------------------------------------------

# how far ahead a dealer slot can be booked, and how early before its slot a car may leave
HORIZON_DAYS = 60
EARLY_CHECKOUT = dt.timedelta(minutes=30)


def too_far_ahead(day: dt.date, timezone: str, now: dt.datetime) -> bool:
    """Whether `day` (the dealer's local date) is beyond the booking horizon."""
    return day > now.astimezone(ZoneInfo(timezone)).date() + dt.timedelta(days=HORIZON_DAYS)


def checkout_problem(start: dt.datetime, ends_at: dt.datetime, now: dt.datetime) -> str | None:
    """Why a booked dealer drive cannot leave now: more than EARLY_CHECKOUT before its slot
    (`check_out_too_early`), or its slot is over (`slot_over`: a no-show, or book again)."""
    if now < start - EARLY_CHECKOUT:
        return "check_out_too_early"
    if now >= ends_at:
        return "slot_over"
    return None


# ---- tower drives ----------------------------------------------------------------------------

# A booking names when the customer collects: not in the past (a few minutes' grace for a
# kiosk's clock), and not so far ahead that the car stands claimed for weeks.
START_GRACE = dt.timedelta(minutes=5)
BOOK_AHEAD = dt.timedelta(days=14)
# Three face mismatches in a row lock the drive for a cooling period (then three more tries).
MAX_MISMATCHES = 3
COOLING = dt.timedelta(minutes=30)


def quota_frees_at(past: Sequence[PastDrive], start: dt.datetime, policy: dict) -> dt.datetime:
    """When a drive starting at `start` would no longer break the count (quota_exceeded): the
    moment enough drives of the window have dropped out of it."""
    since = start - dt.timedelta(days=policy["tower_window_days"])
    inside = sorted(d.start for d in past if since < d.start <= start)
    extra = len(inside) - policy["tower_max_drives"]
    return inside[max(extra, 0)] + dt.timedelta(days=policy["tower_window_days"])


def release_outcome(decision: str, liveness_ok: bool) -> str:
    """What a face check does to a tower drive: `released` only for a match with the head
    turn proven; `refused` for a face that is someone else's; anything between goes to a
    person at the carmaker (`review`)."""
    if decision == "mismatch":
        return "refused"
    if decision == "match" and liveness_ok:
        return "released"
    return "review"


def overdue_stage(ends_at: dt.datetime, now: dt.datetime, policy: dict) -> int:
    """How far the chase of a car still out should have gone: 0 not late, 1 tell the
    customer, 2 tell the carmaker, 3 charge."""
    late = now - ends_at
    if late <= dt.timedelta(0):
        return 0
    if late <= dt.timedelta(hours=policy["tower_report_after_hours"]):
        return 1
    if late <= dt.timedelta(hours=policy["tower_charge_after_hours"]):
        return 2
    return 3


def late_fee(ends_at: dt.datetime, until: dt.datetime, policy: dict) -> Decimal:
    """The policy's fee per started day late, once the charge applies; 0 before."""
    late = until - ends_at
    if late <= dt.timedelta(hours=policy["tower_charge_after_hours"]):
        return Decimal("0.00")
    days = -(-late // dt.timedelta(days=1))  # started days
    per_day = Decimal(policy["tower_late_fee_per_day"])
    return (per_day * days).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
