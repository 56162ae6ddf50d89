"""Times, bookings and clocks for dealer test-drive tests (dealers open 09:00-18:00 daily,
hour-long slots, one lane, unless a test sets a schedule)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import update

from motormall.testdrives.models import TestDrive
from tests import factories as f

SHANGHAI = ZoneInfo("Asia/Shanghai")


def day(ahead: int = 7) -> dt.date:
    return (dt.datetime.now(SHANGHAI) + dt.timedelta(days=ahead)).date()


def at(hour: int, minute: int = 0, ahead: int = 7) -> dt.datetime:
    return dt.datetime.combine(day(ahead), dt.time(hour, minute), SHANGHAI)


def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat()


def setup(client, db, serials=range(1, 4)):
    """The network, some iX3s at SH-1, and tokens for the people the tests need."""
    net = f.network(db)
    vins = f.stock(db, net["dealers"]["SH-1"], net["trims"][0], serials)
    users = net["users"]
    tokens = {k: f.token(client, users[k]) for k in ("customer", "staff", "other_manager")}
    return net, vins, tokens


def book(client, headers, vin, start, **extra):
    body = {"kind": "dealer", "vin": vin, "start": start.isoformat()}
    return client.post("/api/v1/test-drives", json=body, headers={**headers, **extra})


def slots(client, vin=None, date=None, dealer="SH-1"):
    url = f"/api/v1/dealers/{dealer}/test-drive-slots?date={date or day()}"
    return client.get(url + (f"&vin={vin}" if vin else ""))


def arrive(db, drive_id: str, *, late_by=dt.timedelta(minutes=5)) -> None:
    """Time passes: the drive's slot began `late_by` ago (the API reads the real clock)."""
    now = dt.datetime.now(dt.UTC)
    with db.transaction() as s:
        s.execute(
            update(TestDrive)
            .where(TestDrive.id == drive_id)
            .values(start_at=now - late_by, ends_at=now - late_by + dt.timedelta(hours=1))
        )


def customer(client, db, email: str, *, name: str = "", phone: str | None = None) -> dict:
    """Another customer's token."""
    from motormall.platform.auth import Role, create_user

    with db.transaction() as s:
        create_user(s, email=email, password=f.PASSWORD, role=Role.customer, name=name, phone=phone)
    return f.token(client, email)
