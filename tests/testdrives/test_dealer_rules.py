"""The dealer slot grid and the check-out window, with an injected clock."""

import datetime as dt
from zoneinfo import ZoneInfo

from motormall.testdrives import rules

SH = ZoneInfo("Asia/Shanghai")
HOURS = {d: ["09:00", "18:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}  # closed sun
MONDAY = dt.date(2026, 3, 2)


def _t(hour, minute=0, day=MONDAY):
    return dt.datetime.combine(day, dt.time(hour, minute), SH)


def test_slots_already_begun_are_not_offered():
    now = _t(11, 5)
    starts = rules.slot_starts(HOURS, "Asia/Shanghai", MONDAY, minutes=60, now=now)
    assert starts == [_t(h).astimezone(dt.UTC) for h in range(12, 18)]
    assert rules.slot_problem(HOURS, "Asia/Shanghai", _t(11), minutes=60, now=now) == (
        "slot_in_past"
    )


def test_a_closed_day_and_a_slot_running_past_closing_have_no_slots():
    sunday = MONDAY - dt.timedelta(days=1)
    assert rules.slot_starts(HOURS, "Asia/Shanghai", sunday, minutes=60, now=_t(0)) == []
    # 50-minute slots from 09:00: the last whole one starts 16:30 and ends 17:20
    starts = rules.slot_starts(HOURS, "Asia/Shanghai", MONDAY, minutes=50, now=_t(0))
    assert starts[-1] == _t(16, 30).astimezone(dt.UTC) and len(starts) == 10


def test_the_booking_horizon_at_its_edge():
    now = _t(12)
    assert not rules.too_far_ahead(MONDAY + dt.timedelta(days=60), "Asia/Shanghai", now)
    assert rules.too_far_ahead(MONDAY + dt.timedelta(days=61), "Asia/Shanghai", now)
    # 23:30 UTC on Sunday is already Monday in Shanghai: the horizon counts from the local day
    late = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)
    assert not rules.too_far_ahead(MONDAY + dt.timedelta(days=60), "Asia/Shanghai", late)


def test_the_check_out_window():
    start, end = _t(10), _t(11)
    assert rules.checkout_problem(start, end, _t(9, 29)) == "check_out_too_early"
    assert rules.checkout_problem(start, end, _t(9, 30)) is None
    assert rules.checkout_problem(start, end, _t(10, 59)) is None
    assert rules.checkout_problem(start, end, _t(11)) == "slot_over"
