"""Routing and SLA rules, without a database."""

import datetime as dt

from motormall.leads import routing, sla
from motormall.leads.routing import Candidate, Policy

HOURS = {d: ["09:00", "18:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def cand(code, km, *, stock=False, cap=10, today=0, rate=0.8, recent=0, n=None):
    return Candidate(
        dealer_id=n or int(code[1:]),
        code=code,
        distance_km=km,
        has_stock=stock,
        capacity=cap,
        assigned_today=today,
        response_rate=rate,
        recent_leads=recent,
    )


def test_the_nearest_open_dealer_wins_when_all_else_is_equal():
    d = routing.route([cand("D2", 20), cand("D1", 5), cand("D3", 40)], Policy())
    assert d.code == "D1" and d.flags == [] and d.radius_km == 50
    assert [c["dealer"] for c in d.candidates] == ["D1", "D2", "D3"]
    assert d.candidates[0]["parts"]["distance"] > d.candidates[1]["parts"]["distance"]


def test_matching_stock_and_responsiveness_count():
    assert routing.route([cand("D1", 5), cand("D2", 10, stock=True)], Policy()).code == "D2"
    assert routing.route([cand("D1", 5, rate=0.1), cand("D2", 8, rate=1.0)], Policy()).code == "D2"


def test_fairness_lifts_a_dealer_that_received_fewer_leads():
    busy, quiet = cand("D1", 5, recent=60), cand("D2", 9, recent=0)
    assert routing.route([busy, quiet], Policy()).code == "D2"


def test_full_dealers_are_skipped_then_the_radius_widens():
    d = routing.route([cand("D1", 5, cap=3, today=3), cand("D2", 80)], Policy())
    assert d.code == "D2" and d.flags == ["radius_widened"] and d.radius_km == 100


def test_when_everyone_is_full_the_best_takes_it_over_capacity():
    d = routing.route([cand("D1", 5, cap=3, today=3), cand("D2", 30, cap=3, today=9)], Policy())
    assert d.code == "D1" and d.flags == ["over_capacity"]


def test_a_customer_beyond_every_radius_goes_to_the_nearest_dealer_flagged():
    d = routing.route([cand("D1", 900), cand("D2", 700)], Policy())
    assert d.code == "D2" and d.flags == ["outside_radius"]


def test_ties_break_by_distance_then_code():
    twins = [cand("D2", 10, n=2), cand("D1", 10, n=1)]
    assert routing.route(twins, Policy()).code == "D1"


def test_excluded_dealers_are_not_chosen_and_no_candidates_gives_none():
    assert (
        routing.route([cand("D1", 5), cand("D2", 9)], Policy(), exclude=frozenset({1})).code == "D2"
    )
    assert routing.route([], Policy()) is None


def test_policy_round_trips():
    p = Policy(radius_km=30, widen_to_km=(60, 120))
    assert Policy.from_dict(p.to_dict()) == p


def _at(local: str) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime.fromisoformat(local).replace(tzinfo=ZoneInfo("Asia/Shanghai"))


def test_sla_counts_only_opening_hours():
    # Monday 10:00 + 60 min → 11:00 the same day
    assert sla.due_at(_at("2026-11-23T10:00"), 60, HOURS, "Asia/Shanghai") == _at(
        "2026-11-23T11:00"
    )
    # 17:30 + 60 min → 30 min today, 30 min after opening tomorrow
    assert sla.due_at(_at("2026-11-23T17:30"), 60, HOURS, "Asia/Shanghai") == _at(
        "2026-11-24T09:30"
    )
    # a lead at 23:00 is due an hour after the next opening
    assert sla.due_at(_at("2026-11-23T23:00"), 60, HOURS, "Asia/Shanghai") == _at(
        "2026-11-24T10:00"
    )


def test_sla_skips_closed_days_and_respects_the_dealers_time_zone():
    weekdays = {d: ["09:00", "18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
    friday_late = _at("2026-11-27T17:45")
    assert sla.due_at(friday_late, 30, weekdays, "Asia/Shanghai") == _at("2026-11-30T09:15")
    urumqi = sla.due_at(_at("2026-11-23T10:00"), 60, HOURS, "Asia/Urumqi")  # 08:00 there
    assert urumqi == _at("2026-11-23T12:00")  # opens 09:00 Urumqi = 11:00 Beijing, +60 min
