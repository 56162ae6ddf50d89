"""Ratings contradicted by the customer's behaviour (a complaint, a case, a returned car) or by
the comment's sentiment (VADER for English, SnowNLP for Chinese); flagged only when far more
common than honest noise, with evidence; and shown by the admin endpoint."""

import datetime as dt
import secrets

from sqlalchemy import select

from motormall.catalog.models import Vehicle
from motormall.orders.models import Order
from motormall.platform.auth import User
from motormall.surveys.integrity import Answer, assess, contradictions
from motormall.surveys.models import Case, Survey
from motormall.surveys.sentiment import mood
from tests import factories as f


def _codes(flags):
    return {fl["code"] for fl in flags}


def test_clear_sentiment_is_read_in_english_and_chinese_unclear_says_nothing():
    assert mood("The salesman was rude and the car was dirty. Very disappointed.") == "negative"
    assert mood("Awful. They lied about the price and I waited three hours.") == "negative"
    assert mood("Excellent service, the staff were wonderful and very helpful.") == "positive"
    assert mood("销售态度恶劣，等了三个小时，太失望了。") == "negative"
    assert mood("价格被骗了，再也不来了。") == "negative"
    assert mood("非常满意，服务很好，感谢！") == "positive"
    assert mood("The car was delivered on time.") is None
    assert mood("一般般") is None
    assert mood("") is None and mood("   ") is None


def _honest(n):
    return [
        Answer(5, 10, False, 3600, ref=f"h{i}", comment="Great service, thank you!")
        for i in range(n)
    ]


def test_high_ratings_from_customers_who_complained_or_returned_are_flagged_with_evidence():
    odd = [
        Answer(5, 10, False, 3600, ref=f"x{i}", customer_behaviour=(b,))
        for i, b in enumerate(["complaint"] * 4 + ["return"] * 3 + ["case"] * 3)
    ]
    (flag,) = contradictions(_honest(30) + odd)
    assert flag["code"] == "ratings_contradict_behaviour"
    ev = flag["evidence"]
    assert (ev["answers"], ev["high_ratings"], ev["share"]) == (10, 40, 0.25)
    assert (ev["after_complaint"], ev["after_return"], ev["after_case"]) == (4, 3, 3)
    assert ev["examples"] == ["x0", "x1", "x2", "x3", "x4"] and ev["p_value"] < 0.001


def test_a_won_back_customer_now_and_then_and_case_follow_ups_are_not_flagged():
    # one complaining customer happy again among 40: the noise an honest dealer has
    won_back = [Answer(5, 10, False, 3600, ref="w", customer_behaviour=("complaint",))]
    assert contradictions(_honest(40) + won_back) == []
    # a good answer about a resolved case is what the case should bring
    follow_ups = [
        Answer(5, 10, False, 3600, about="case", customer_behaviour=("case",)) for _ in range(10)
    ]
    assert contradictions(_honest(30) + follow_ups) == []
    # an unhappy answer from a customer who complained contradicts nothing
    unhappy = [Answer(1, 2, False, 3600, customer_behaviour=("complaint",)) for _ in range(10)]
    assert contradictions(_honest(30) + unhappy) == []


def test_ratings_the_comments_contradict_are_flagged_in_both_languages():
    panned = [
        Answer(5, 10, False, 3600, ref="en", comment="Terrible, rude staff. Very disappointed."),
        Answer(5, 10, False, 3600, ref="zh1", comment="销售态度恶劣，等了三个小时，太失望了。"),
        Answer(4, 9, False, 3600, ref="zh2", comment="价格被骗了，再也不来了。"),
        Answer(5, 10, False, 3600, ref="en2", comment="Awful. They lied about the price."),
    ]
    praised = [Answer(1, 3, False, 3600, ref="lo", comment="非常满意，服务很好，感谢！")]
    r = assess(_honest(20) + panned + praised, network_perfect=3000, network_responses=10000)
    (flag,) = [fl for fl in r.flags if fl["code"] == "ratings_contradict_comments"]
    ev = flag["evidence"]
    assert (ev["high_rating_negative_comment"], ev["low_rating_positive_comment"]) == (4, 1)
    assert ev["comments"] == 25 and ev["examples"] == ["en", "zh1", "zh2", "en2", "lo"]
    # a high rating with a clearly happy or an unclear comment contradicts nothing
    plain = [Answer(5, 10, False, 3600, comment="The car was delivered on time.")] * 5
    assert contradictions(_honest(20) + plain + panned[:1]) == []


def _survey(s, uid, dealer, i, now, *, csat=5, nps=10, comment=""):
    s.add(
        Survey(
            token=secrets.token_urlsafe(24),
            customer_id=uid,
            dealer_id=dealer,
            about="service",
            subject_id=f"s{dealer}-{i}",
            created_at=now - dt.timedelta(days=1),
            expires_at=now + dt.timedelta(days=20),
            answered_at=now,
            csat=csat,
            nps=nps,
            incentive_offered=False,
            comment=comment,
        )
    )


def test_the_endpoint_shows_contradictions_for_a_gaming_dealer_not_an_honest_one(client, db):
    net = f.network(db)
    sh1, sh2 = net["dealers"]["SH-1"], net["dealers"]["SH-2"]
    f.stock(db, sh1, net["trims"][0], [1])
    now = dt.datetime.now(dt.UTC)
    with db.transaction() as s:
        users = list(s.scalars(select(User).order_by(User.email)))
        complained, returned = users[0].id, users[1].id
        s.add(Case(dealer_id=sh1, customer_id=complained, source="complaint", due_at=now))
        s.add(
            Order(
                customer_id=returned,
                vehicle_id=s.scalar(select(Vehicle.id)),
                vin=f.vin(1),
                status="returned",
                product="cash",
                price=1,
                deposit=1,
                currency="CNY",
                credited_dealer_id=sh1,
                credit_reason="test",
            )
        )
        for dealer, comment in ((sh1, "Rude staff, terrible."), (sh2, "Wonderful staff!")):
            for i in range(20):
                customer = complained if i < 4 else returned if i < 8 else users[2].id
                _survey(s, customer, dealer, i, now, comment=comment if i < 4 else "")
    admin = f.token(client, net["users"]["admin"])
    gaming = client.get("/api/v1/admin/dealers/SH-1/survey-integrity", headers=admin).json()
    flags = {fl["code"]: fl["evidence"] for fl in gaming["flags"]}
    assert {"ratings_contradict_behaviour", "ratings_contradict_comments"} <= set(flags)
    ev = flags["ratings_contradict_behaviour"]
    assert (ev["answers"], ev["after_complaint"], ev["after_return"]) == (8, 4, 4)
    assert all(len(ref) == 12 for ref in ev["examples"])  # never the whole token
    assert flags["ratings_contradict_comments"]["answers"] == 4
    # the same customers neither complained to nor returned a car through SH-2, and praise it
    honest = client.get("/api/v1/admin/dealers/SH-2/survey-integrity", headers=admin).json()
    assert not {"ratings_contradict_behaviour", "ratings_contradict_comments"} & _codes(
        honest["flags"]
    )
