"""The points book balances after any sequence of earn, burn, expire and reverse (Hypothesis),
and the tier rules climb as the carmaker set them."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motormall.membership import rules

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

ops = st.lists(
    st.one_of(
        st.tuples(st.just("earn"), st.integers(1, 5000), st.integers(1, 400)),
        st.tuples(st.just("burn"), st.integers(1, 8000), st.just(0)),
        st.tuples(st.just("expire"), st.just(0), st.just(0)),
        st.tuples(st.just("reverse"), st.integers(0, 30), st.just(0)),
        st.tuples(st.just("wait"), st.integers(1, 200), st.just(0)),
    ),
    max_size=60,
)


@settings(max_examples=400, deadline=None)
@given(ops)
def test_the_book_always_balances(sequence):
    book, entries, now, next_id = rules.Book(), [], T0, 1
    for op, n, days in sequence:
        before = book.balance
        if op == "earn":
            moves = [book.earn(next_id, n, f"s{next_id}", expires_at=now + dt.timedelta(days=days))]
            next_id += 1
        elif op == "burn":
            available = book.available(now)
            if n > available:
                with pytest.raises(rules.InsufficientPoints):
                    book.burn(n, "offer", now=now)
                moves = []
            else:
                moves = book.burn(n, "offer", now=now)
        elif op == "expire":
            moves = book.expire(now=now)
        elif op == "reverse":
            moves = book.reverse(f"s{n}", now=now)
        else:
            now += dt.timedelta(days=n)
            moves = []
        entries += moves
        # the entries are the book: their sum is the balance, and each op moved it exactly
        assert book.balance == before + sum(m.points for m in moves)
        assert book.balance == sum(m.points for m in entries) >= 0
        for lot in book.lots:
            drawn = sum(m.points for m in entries if m.lot_id == lot.id)
            assert 0 <= lot.remaining == lot.points + drawn <= lot.points
        # nothing spent or expired beyond what a lot held; lapsed lots hold nothing after expire
        if op == "expire":
            assert all(lot.remaining == 0 for lot in book.lots if lot.expires_at <= now)
        assert all(m.points < 0 and m.lot_id for m in entries if m.kind != "earn")


def test_burn_spends_the_points_that_lapse_first_and_refuses_more_than_the_balance():
    book = rules.Book()
    book.earn(1, 100, "a", expires_at=T0 + dt.timedelta(days=300))
    book.earn(2, 50, "b", expires_at=T0 + dt.timedelta(days=10))
    moves = book.burn(70, "offer", now=T0)
    assert [(m.lot_id, m.points) for m in moves] == [(2, -50), (1, -20)]
    with pytest.raises(rules.InsufficientPoints) as exc:
        book.burn(81, "offer", now=T0)
    assert exc.value.available == 80 and book.balance == 80


def test_a_return_takes_back_what_is_left_then_what_was_spent_once():
    book = rules.Book()
    book.earn(1, 1000, "order:x", expires_at=T0 + dt.timedelta(days=700))
    book.earn(2, 300, "test_drive:y", expires_at=T0 + dt.timedelta(days=700))
    book.burn(1100, "offer", now=T0)  # 1000 from one lot... both expire together: id order
    assert book.balance == 200
    moves = book.reverse("order:x", now=T0)
    # the purchase's lot is empty; what it paid for comes out of the other lot, as far as it goes
    assert sum(m.points for m in moves) == -200 and book.balance == 0
    assert book.reverse("order:x", now=T0) == []


def test_expired_points_lapse_and_are_not_clawed_back_on_return():
    book = rules.Book()
    book.earn(1, 500, "order:x", expires_at=T0 + dt.timedelta(days=1))
    book.earn(2, 100, "survey:z", expires_at=T0 + dt.timedelta(days=100))
    later = T0 + dt.timedelta(days=2)
    assert sum(m.points for m in book.expire(now=later)) == -500
    assert book.reverse("order:x", now=later) == []  # nothing left, nothing burned
    assert book.balance == 100


def test_tiers_follow_the_carmakers_rules_and_the_credit_score():
    p = rules.DEFAULT
    at = dict(spend_year=Decimal(0), activities_year=0)
    assert rules.tier_for(p, points_year=0, credit_score=None, **at).code == "member"
    assert rules.tier_for(p, points_year=3000, credit_score=None, **at).code == "gold"
    # platinum's points alone are not enough: it needs a score, and a good one
    assert rules.tier_for(p, points_year=9000, credit_score=None, **at).code == "gold"
    assert rules.tier_for(p, points_year=9000, credit_score=650, **at).code == "gold"
    top = rules.tier_for(p, points_year=9000, credit_score=720, **at)
    assert top.code == "platinum" and top.super_member
    silver = rules.tier_for(p, points_year=1200, credit_score=None, **at)
    assert not silver.super_member
    assert rules.next_tier(p, silver, points_year=1200)["points_needed"] == 1800
    assert rules.next_tier(p, top, points_year=9000) is None


def test_a_programme_must_start_at_member_and_climb():
    with pytest.raises(rules.RuleError):
        rules.check_programme(rules.Programme(tiers=(rules.TierRule("gold"),)))
    with pytest.raises(rules.RuleError):
        rules.check_programme(
            rules.Programme(
                tiers=(rules.TierRule("member"), rules.TierRule("gold"), rules.TierRule("silver"))
            )
        )


def test_points_for_a_purchase_round_down_and_take_a_campaigns_factor():
    p = rules.DEFAULT
    assert rules.points_for_purchase(p, Decimal("299999.99")) == 2999
    assert rules.points_for_purchase(p, Decimal("300000.00"), Decimal("1.5")) == 4500
