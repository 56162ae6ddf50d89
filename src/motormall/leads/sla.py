"""When first contact is due: a number of minutes counted only in the dealer's opening hours,
in the dealer's time zone. Plain Python."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _hours(opening_hours: dict, day: dt.date) -> tuple[dt.time, dt.time] | None:
    span = opening_hours.get(DAYS[day.weekday()]) or []
    if len(span) != 2:
        return None
    return dt.time.fromisoformat(span[0]), dt.time.fromisoformat(span[1])


def due_at(start: dt.datetime, minutes: int, opening_hours: dict, timezone: str) -> dt.datetime:
    """`start` plus `minutes` of opening time. A lead that arrives at night is due `minutes`
    after the next opening. Returns UTC."""
    tz = ZoneInfo(timezone)
    local = start.astimezone(tz)
    left = dt.timedelta(minutes=minutes)
    day = local.date()
    for _ in range(366):  # a dealer closed all year is a configuration error, not a loop
        hours = _hours(opening_hours, day)
        if hours:
            opens = dt.datetime.combine(day, hours[0], tz)
            closes = dt.datetime.combine(day, hours[1], tz)
            begin = max(local, opens)
            if begin < closes:
                if begin + left <= closes:
                    return (begin + left).astimezone(dt.UTC)
                left -= closes - begin
        day += dt.timedelta(days=1)
        local = dt.datetime.combine(day, dt.time(0), tz)
    raise ValueError("the dealer has no opening hours")
