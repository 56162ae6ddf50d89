"""The league table's CSAT and integrity flags agree with the surveys domain's own check."""

import datetime as dt
import secrets

from sqlalchemy import select

from motormall.platform import events
from motormall.platform.auth import User
from motormall.platform.origin import StaffOrigin
from motormall.surveys.events import SurveyAnswered
from motormall.surveys.models import Survey
from tests import factories as f


def _answered(s, uid, dealer_id: int, n: int, now, **answer) -> None:
    """One answered service survey (as the surveys domain stores it) and its event."""
    token = secrets.token_urlsafe(24)
    s.add(
        Survey(
            token=token,
            customer_id=uid,
            dealer_id=dealer_id,
            about="service",
            subject_id=f"s{n}",
            created_at=now - dt.timedelta(days=1),
            expires_at=now + dt.timedelta(days=20),
            answered_at=now,
            **answer,
        )
    )
    s.flush()
    events.publish(
        s,
        SurveyAnswered(
            entity_id=token[:12],  # as surveys.service.answer names it
            customer_id=uid,
            at=now,
            about="service",
            dissatisfied=False,
        ),
    )


def _league_and_integrity(client, net) -> tuple[dict, dict]:
    """The league table's rows by dealer, and SH-1's own integrity check."""
    admin = f.token(client, net["users"]["admin"])
    rows = {
        d["dealer"]: d
        for d in client.get("/api/v1/admin/analytics/dealers", headers=admin).json()["items"]
    }
    own = client.get("/api/v1/admin/dealers/SH-1/survey-integrity", headers=admin).json()
    return rows, own


def test_the_league_shows_csat_and_the_same_flags_as_the_integrity_check(client, db):
    net = f.network(db)
    now = dt.datetime.now(dt.UTC)
    with db.transaction() as s:
        uid = s.scalar(select(User.id).where(User.email == net["users"]["customer"]))
        for i in range(30):
            perfect = i <= 20
            _answered(
                s,
                uid,
                net["dealers"]["SH-1" if i < 20 else "SH-2"],
                i,
                now,
                csat=5 if perfect else 3,
                nps=10 if perfect else 7,
                incentive_offered=i < 4,  # well above the 1 % noise of mistaken ticks
            )
    rows, own = _league_and_integrity(client, net)
    sh1 = rows["SH-1"]
    assert sh1["responses"] == own["responses"] == 20
    assert sh1["csat"] == own["csat"] == 5.0
    assert sh1["flags"] == own["flags"]
    assert {fl["code"] for fl in sh1["flags"]} == {
        "incentives_reported",
        "perfect_scores_above_network",
    }
    assert rows["SH-2"]["responses"] == 10 and rows["SH-2"]["csat"] == 3.2
    assert rows["SH-2"]["flags"] == []


def test_the_league_shows_the_signals_that_read_each_answer_too(client, db):
    """Answers from the dealer's staff network and ratings the comments contradict need each
    answer, not counts: the league table shows them as the integrity check does."""
    net = f.network(db)
    now = dt.datetime.now(dt.UTC)
    showroom = "5f" * 16
    with db.transaction() as s:
        uid = s.scalar(select(User.id).where(User.email == net["users"]["customer"]))
        s.add(
            StaffOrigin(
                dealer_id=net["dealers"]["SH-1"],
                kind="network",
                hash=showroom,
                first_seen=now,
                last_seen=now,
                logins=3,
            )
        )
        for i in range(40):
            dealer = "SH-1" if i < 24 else "SH-2"
            panned = dealer == "SH-1" and i < 6
            _answered(
                s,
                uid,
                net["dealers"][dealer],
                i,
                now,
                csat=5 if panned else 4,
                nps=10 if panned else 8,
                incentive_offered=False,
                comment="Awful. They lied about the price." if panned else "",
                comment_mood="negative" if panned else None,
                # SH-2's answers come from SH-1's showroom: not SH-2's staff
                answer_network=showroom if 6 <= i < 14 or i >= 34 else None,
            )
    rows, own = _league_and_integrity(client, net)
    sh1 = rows["SH-1"]
    assert {fl["code"] for fl in sh1["flags"]} >= {
        "answered_from_dealer_origin",
        "ratings_contradict_comments",
    }
    assert sh1["flags"] == own["flags"]
    (origin,) = [fl for fl in sh1["flags"] if fl["code"] == "answered_from_dealer_origin"]
    assert origin["evidence"]["answers"] == 8 and origin["evidence"]["networks"] == {
        showroom[:12]: 8
    }
    assert rows["SH-2"]["flags"] == []
