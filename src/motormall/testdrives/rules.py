"""Test-drive rules: the dealer's slot grid and the tower's quota. Plain Python, no database,
no clock (pass `now`)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from motormall.aftersales.rules import opening

KINDS = ("dealer", "tower")
# a dealer without its own schedule: hour-long drives, one at a time
SLOT_MINUTES = 60
LANES = 1
# the carmaker's tower policy before any PUT (CONTRACT: 5 drives in 60 days, 3 days out)
POLICY_DEFAULTS = {"tower_max_drives": 5, "tower_window_days": 60, "tower_drive_days": 3}
POLICY_BOUNDS = {
    "tower_max_drives": (1, 50),
    "tower_window_days": (1, 365),
    "tower_drive_days": (1, 14),
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
