"""Integrity signals: incentives reported, perfect scores far above the network (a binomial
test, so a dealer with few answers or an honestly good one is not flagged), answers given on
the spot; and the admin endpoint that shows them with their evidence."""

import datetime as dt
import secrets

from motormall.surveys.integrity import Answer, assess
from motormall.surveys.models import Survey
from tests import factories as f
from tests.catalog.test_api import problem


def _answers(n_perfect, n_other, *, incentive=0, spot=0):
    out = [Answer(5, 10, False, 3600) for _ in range(n_perfect)]
    out += [Answer(4, 8, False, 3600) for _ in range(n_other)]
    for i in range(incentive):
        out[i] = Answer(5, 10, True, 3600)
    for i in range(spot):
        out[-1 - i] = Answer(out[-1 - i].csat, out[-1 - i].nps, False, 30)
    return out


def _codes(report):
    return {fl["code"] for fl in report.flags}


def test_perfect_scores_far_above_the_network_are_flagged_with_evidence():
    r = assess(_answers(38, 2), network_perfect=3000, network_responses=10000)  # 95% vs 30%
    (flag,) = r.flags
    assert flag["code"] == "perfect_scores_above_network"
    assert flag["evidence"]["share"] == 0.95 and flag["evidence"]["p_value"] < 0.001


def test_an_honestly_good_dealer_and_a_small_sample_are_not_flagged():
    assert assess(_answers(16, 24), network_perfect=3000, network_responses=10000).flags == []
    assert assess(_answers(5, 0), network_perfect=3000, network_responses=10000).flags == []


def test_incentives_and_answers_on_the_spot_are_flagged_and_left_out_of_csat():
    r = assess(_answers(4, 16, incentive=5, spot=5), network_perfect=30, network_responses=100)
    assert _codes(r) == {"incentives_reported", "answered_on_the_spot"}
    assert r.responses == 20 and r.csat == 4.25
    assert r.csat_without_flagged == 4.0  # 5 fives with incentives and 5 fours left out


def test_one_mistaken_incentive_report_is_not_a_flag_many_are():
    assert (
        assess(_answers(4, 96, incentive=1), network_perfect=30, network_responses=100).flags == []
    )
    (flag,) = assess(_answers(4, 96, incentive=6), network_perfect=30, network_responses=100).flags
    assert flag["code"] == "incentives_reported" and flag["evidence"]["p_value"] < 0.001


def _network(n_dealers=60):
    """(perfect, unhappy, responses) per dealer: better dealers have both more perfect and
    fewer unhappy answers."""
    counts = []
    for i in range(n_dealers):
        good = i / n_dealers  # from the worst to the best dealer
        n = 200
        counts.append((int(n * (0.08 + 0.3 * good)), int(n * (0.35 - 0.3 * good)), n))
    return counts


def test_an_honestly_excellent_dealer_is_not_flagged_a_stuffing_one_is():
    from motormall.surveys.integrity import fit_network

    fit = fit_network(_network())
    # an excellent dealer: many perfect scores and few unhappy customers
    excellent = [Answer(5, 10, False, 3600)] * 76 + [Answer(4, 8, False, 3600)] * 114
    excellent += [Answer(3, 6, False, 3600)] * 10
    assert assess(excellent, network_perfect=3000, network_responses=12000, fit=fit).flags == []
    # the same share of perfect scores with an ordinary dealer's share of unhappy customers
    stuffed = [Answer(5, 10, False, 3600)] * 76 + [Answer(4, 8, False, 3600)] * 84
    stuffed += [Answer(3, 6, False, 3600)] * 40
    (flag,) = assess(stuffed, network_perfect=3000, network_responses=12000, fit=fit).flags
    assert flag["code"] == "perfect_scores_above_network"
    assert flag["evidence"]["unhappy_share"] == 0.2 and flag["evidence"]["expected_share"] < 0.25


def test_the_admin_sees_a_dealers_integrity_others_do_not(client, db):
    net = f.network(db)
    customer = net["users"]["customer"]
    now = dt.datetime.now(dt.UTC)
    with db.transaction() as s:
        from sqlalchemy import select

        from motormall.platform.auth import User

        uid = s.scalar(select(User.id).where(User.email == customer))
        for i in range(30):
            dealer = net["dealers"]["SH-1" if i < 20 else "SH-2"]
            perfect = i < 20 or i == 20
            s.add(
                Survey(
                    token=secrets.token_urlsafe(24),
                    customer_id=uid,
                    dealer_id=dealer,
                    about="service",
                    subject_id=f"s{i}",
                    created_at=now - dt.timedelta(days=1),
                    expires_at=now + dt.timedelta(days=20),
                    answered_at=now,
                    csat=5 if perfect else 3,
                    nps=10 if perfect else 7,
                    incentive_offered=i < 5,
                )
            )
    admin = f.token(client, net["users"]["admin"])
    r = client.get("/api/v1/admin/dealers/SH-1/survey-integrity", headers=admin)
    body = r.json()
    assert body["responses"] == 20 and body["csat"] == 5.0
    assert {fl["code"] for fl in body["flags"]} == {
        "incentives_reported",
        "perfect_scores_above_network",
    }
    manager = f.token(client, net["users"]["manager"])
    problem(
        client.get("/api/v1/admin/dealers/SH-1/survey-integrity", headers=manager),
        403,
        "role_not_allowed",
    )
    problem(
        client.get("/api/v1/admin/dealers/XX/survey-integrity", headers=admin),
        404,
        "dealer_not_found",
    )
