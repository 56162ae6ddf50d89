"""Times and bookings for after-sales tests."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from tests import factories as f

SHANGHAI = ZoneInfo("Asia/Shanghai")


def day(ahead: int = 7) -> dt.date:
    return (dt.datetime.now(SHANGHAI) + dt.timedelta(days=ahead)).date()


def at(hour: int, minute: int = 0, ahead: int = 7) -> dt.datetime:
    """A local Shanghai time `ahead` days from now (dealers open 09:00-18:00 every day)."""
    return dt.datetime.combine(day(ahead), dt.time(hour, minute), SHANGHAI)


def book(client, headers, *, start, kind="maintenance", dealer="SH-1", serial=900, **extra):
    body = {"vin": f.vin(serial), "dealer": dealer, "start": start.isoformat(), "kind": kind}
    return client.post("/api/v1/service-appointments", json=body, headers={**headers, **extra})
