"""What the dashboards count, and which periods they accept (pure: no database, no clock)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from motormall.platform.errors import Invalid

# The funnel, in order. A stage counts the people (a customer, or a lead's own key when it
# came without an account) with at least one event of its types in the period. "visit" is
# a signed-in customer's look at a car's page (catalog.vehicle_viewed), or any later stage:
# a walk-in, a partner's lead or an API order came without a recorded view but did visit.
STAGES: tuple[str, ...] = ("visit", "lead", "test_drive", "order", "handover")
_LATER: dict[str, tuple[str, ...]] = {
    "lead": ("lead.assigned",),
    # the dealer's own booking on a lead, and the test-drive domain's booking
    "test_drive": ("test_drive.booked", "lead.test_drive_booked"),
    "order": ("order.reserved",),
    "handover": ("order.handed_over",),
}
STAGE_TYPES: dict[str, tuple[str, ...]] = {
    "visit": ("catalog.vehicle_viewed", *(t for types in _LATER.values() for t in types)),
    **_LATER,
}
NEW_ENERGY = ("bev", "phev")  # what the carmaker counts as a new-energy vehicle

DEFAULT_DAYS = 90  # a quarter
MAX_DAYS = 731  # two years: longer ranges are what the export files are for


@dataclass(frozen=True)
class Period:
    start: dt.datetime  # inclusive, UTC
    end: dt.datetime  # exclusive, UTC

    @property
    def naive(self) -> tuple[dt.datetime, dt.datetime]:
        """The bounds as naive UTC, as the columnar store keeps its times."""
        return self.start.replace(tzinfo=None), self.end.replace(tzinfo=None)


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def period(start: dt.datetime | None, end: dt.datetime | None, *, now: dt.datetime) -> Period:
    """[start, end) in UTC; by default the quarter that ends now. A reversed range or one
    longer than MAX_DAYS is refused with a code the caller can act on."""
    try:
        end = _utc(end) if end is not None else now
        start = _utc(start) if start is not None else end - dt.timedelta(days=DEFAULT_DAYS)
    except OverflowError:  # at the ends of the calendar
        raise Invalid("period_out_of_range", "The period is outside the calendar.") from None
    if start >= end:
        raise Invalid(
            "period_reversed",
            "The period must start before it ends.",
            start=start.isoformat(),
            end=end.isoformat(),
        )
    if end - start > dt.timedelta(days=MAX_DAYS):
        raise Invalid(
            "period_too_long",
            "The period is longer than the dashboards allow.",
            max_days=MAX_DAYS,
        )
    return Period(start, end)


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
