"""After-sales in the demo: parts and stock at the demo dealer, past visits with their work
(the service history), surveys the customers answered (one unhappy, so a case is open) and
visits coming up, all made through the real services so the rules and events hold. Loaded
once: skipped when the demo dealer already has service visits."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from motormall.aftersales import parts, service
from motormall.aftersales.models import ServiceAppointment
from motormall.catalog.models import Dealer
from motormall.catalog.vin import with_check_digit
from motormall.platform.auth import User, principal_of
from motormall.surveys import service as surveys
from motormall.surveys.models import Survey

# part no, name (as the carmaker's catalogue stores it), on hand, reorder at
PARTS = [
    ("11-42-8-575-211", "Oil filter 机油滤清器", 24, 8),
    ("34-11-6-860-016", "Front brake pads 前刹车片", 3, 4),  # low: the parts page flags it
    ("64-11-9-237-555", "Cabin air filter 空调滤芯", 12, 4),
    ("61-21-7-555-720", "12 V battery 12伏蓄电池", 2, 1),
    ("83-21-2-365-946", "Engine oil 5W-30, 1 L 机油", 60, 20),
]
# customer (DEMO_CUSTOMERS index or the demo buyer), kind, days ago, odometer, work, parts used,
# the survey's answer (CSAT, NPS, comment) or None for unanswered
PAST = [
    (
        0,
        "maintenance",
        40,
        15200,
        "Annual service: oil and filter, inspection",
        [("11-42-8-575-211", 1), ("83-21-2-365-946", 5)],
        (5, 9, "准时交车，服务很好。"),
    ),
    (
        1,
        "repair",
        25,
        32800,
        "Front brake pads replaced",
        [("34-11-6-860-016", 1)],
        (4, 8, "Quick and friendly, thank you."),
    ),
    (
        2,
        "maintenance",
        12,
        9800,
        "Cabin air filter replaced",
        [("64-11-9-237-555", 1)],
        (2, 4, "The car came back dirty and two hours late."),
    ),
    (3, "warranty", 6, 4100, "Battery replaced under warranty", [("61-21-7-555-720", 1)], None),
]
# customer, kind, days ahead, local hour
UPCOMING = [(0, "maintenance", 1, 10), (1, "repair", 2, 14), (3, "maintenance", 3, 9)]


def _vin(n: int) -> str:
    return with_check_digit(f"WBA11GS00TA{700100 + n:06d}")


def seed(session: Session, dealer: Dealer, customers: list[User], staff: User, *, now) -> int:
    """Visits added (0 when already seeded)."""
    if session.scalar(
        select(ServiceAppointment.id).where(ServiceAppointment.dealer_id == dealer.id).limit(1)
    ):
        return 0
    for part_no, name, on_hand, reorder in PARTS:
        if parts.names(session, [part_no]).get(part_no) is None:
            parts.put_part(session, part_no, name=name, model_id=None)
        parts.set_stock(session, dealer.id, part_no, on_hand=on_hand, reorder_level=reorder)
    tz = ZoneInfo(dealer.timezone)
    today = now.astimezone(tz).date()
    worker = principal_of(staff)
    added = 0
    for who, kind, ago, km, work, used, answer in PAST:
        day = today - dt.timedelta(days=ago)
        start = dt.datetime.combine(day, dt.time(10), tz)
        booked_at = start - dt.timedelta(days=3)
        customer = principal_of(customers[who])
        req = service.BookRequest(vin=_vin(who), dealer=dealer.code, start=start, kind=kind)
        appt = service.book(session, customer, req, now=booked_at)
        done_at = appt.end_at
        service.complete(
            session,
            worker,
            appt.id,
            odometer_km=km,
            work=work,
            parts=[service.PartUsed(p, q) for p, q in used],
            now=done_at,
        )
        added += 1
        if answer is None:
            continue
        token = session.scalar(
            select(Survey.token).where(Survey.about == "service", Survey.subject_id == appt.id)
        )
        csat, nps, comment = answer
        surveys.answer(
            session,
            token,
            csat=csat,
            nps=nps,
            incentive_offered=False,
            comment=comment,
            now=done_at + dt.timedelta(hours=5),
        )
    for who, kind, ahead, hour in UPCOMING:
        start = dt.datetime.combine(today + dt.timedelta(days=ahead), dt.time(hour), tz)
        req = service.BookRequest(vin=_vin(who), dealer=dealer.code, start=start, kind=kind)
        service.book(session, principal_of(customers[who]), req, now=now)
        added += 1
    return added
