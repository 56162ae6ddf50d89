"""Service scheduling arithmetic: job durations, the half-hour grid, which start times fit in
a dealer's opening hours. Plain Python, no clock (pass `now`)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

SLOT = dt.timedelta(minutes=30)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# How long each kind of job keeps a bay (minutes); a multiple of the slot.
DURATIONS = {"maintenance": 60, "repair": 120, "warranty": 90, "recall": 60}
KINDS = tuple(DURATIONS)


def duration(kind: str) -> dt.timedelta:
    return dt.timedelta(minutes=DURATIONS[kind])


def slots_of(start: dt.datetime, kind: str) -> list[dt.datetime]:
    """The half-hour slot starts a job of `kind` starting at `start` occupies."""
    n = DURATIONS[kind] // 30
    return [start + i * SLOT for i in range(n)]


def opening(opening_hours: dict, day: dt.date, timezone: str):
    """(opens, closes) as aware datetimes on `day` in the dealer's zone, or None if closed."""
    span = opening_hours.get(DAYS[day.weekday()]) or []
    if len(span) != 2:
        return None
    tz = ZoneInfo(timezone)
    opens = dt.datetime.combine(day, dt.time.fromisoformat(span[0]), tz)
    closes = dt.datetime.combine(day, dt.time.fromisoformat(span[1]), tz)
    return (opens, closes) if opens < closes else None


def candidate_starts(
    opening_hours: dict, timezone: str, day: dt.date, kind: str, *, now: dt.datetime
) -> list[dt.datetime]:
    """Every start on the half-hour grid of `day` where the whole job fits in opening hours
    and which is not in the past (UTC)."""
    hours = opening(opening_hours, day, timezone)
    if hours is None:
        return []
    opens, closes = hours
    out, t = [], opens
    while t + duration(kind) <= closes:
        if t > now:
            out.append(t.astimezone(dt.UTC))
        t += SLOT
    return out


def fits(
    opening_hours: dict, timezone: str, start: dt.datetime, kind: str, *, now: dt.datetime
) -> str | None:
    """Why `start` cannot be booked (a reason code), or None if it can."""
    if start <= now:
        return "appointment_in_past"
    local = start.astimezone(ZoneInfo(timezone))
    if start not in candidate_starts(opening_hours, timezone, local.date(), kind, now=now):
        return "outside_opening_hours"
    return None


# --- reminders and maintenance --------------------------------------------------------------

# The owner is reminded this long before the appointment (a booking made later is not).
REMINDER_AHEAD = dt.timedelta(days=1)
# Maintenance falls due this long after the last maintenance (or the handover), or this many
# km later by the odometer last seen, whichever comes first.
MAINTENANCE_EVERY = dt.timedelta(days=365)
MAINTENANCE_EVERY_KM = 10_000


def reminder_at(start: dt.datetime, *, now: dt.datetime) -> dt.datetime | None:
    """When to remind the owner of an appointment at `start`, or None if that moment passed."""
    at = start - REMINDER_AHEAD
    return at if at > now else None


def maintenance_due(
    *, base_at: dt.datetime, base_km: int | None, last_km: int | None, now: dt.datetime
) -> str | None:
    """Why a car is due for maintenance (`time` or `mileage`), or None. `base_*` is the last
    maintenance (or the handover); `last_km` the highest odometer reading seen since."""
    if base_km is not None and last_km is not None and last_km - base_km >= MAINTENANCE_EVERY_KM:
        return "mileage"
    if now - base_at >= MAINTENANCE_EVERY:
        return "time"
    return None


# --- recalls --------------------------------------------------------------------------------


def _line(vin: str) -> str:
    """What a production run shares: the maker and model code (1-8) and year and plant
    (10-11); position 9 is the check digit, different for every car."""
    return vin[:8] + vin[9:11]


def recall_range_fault(vin_from: str, vin_to: str) -> str | None:
    """Why two VINs do not bound a production range (`line`, `order`), or None."""
    if _line(vin_from) != _line(vin_to):
        return "line"
    if vin_from[11:] > vin_to[11:]:
        return "order"
    return None


def in_recall_range(vin: str, vin_from: str, vin_to: str) -> bool:
    """Whether `vin` is in the production range (its serial, positions 12-17, inclusive)."""
    return _line(vin) == _line(vin_from) and vin_from[11:] <= vin[11:] <= vin_to[11:]
