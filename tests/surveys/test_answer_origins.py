"""Answers from the dealer's own network or devices: survey answers and staff logins carry
keyed hashes of the network (/24, /48) and the browser, never an address; a dealer whose
answers come from its staff's origins far more than the network's is flagged with evidence."""

import datetime as dt
import secrets

from fastapi.testclient import TestClient
from sqlalchemy import select, text

from motormall.app import create_app
from motormall.platform.auth import User
from motormall.platform.origin import StaffOrigin, network_of, origin_of
from motormall.surveys.integrity import Answer, assess, flags, tally
from motormall.surveys.models import Survey
from tests import factories as f

GOOD = {"csat": 5, "nps": 10, "incentive_offered": False, "comment": ""}
TABLET = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) Safari/604.1"


def test_networks_are_cut_to_a_24_or_48_and_hashed_under_the_key():
    assert network_of("203.0.113.7") == "203.0.113.0/24"
    assert network_of("2001:db8:1234:5678::9") == "2001:db8:1234::/48"
    assert network_of("::ffff:203.0.113.9") == "203.0.113.0/24"
    assert network_of("testclient") is None and network_of("") is None
    a = origin_of("k1", address="203.0.113.7", user_agent=TABLET, browser="b1")
    same_net = origin_of("k1", address="203.0.113.200", user_agent="other", browser=None)
    assert a.network == same_net.network and "203" not in a.network and len(a.network) == 32
    assert origin_of("k2", address="203.0.113.7", user_agent=TABLET, browser="b1") != a
    assert origin_of("k1", address="198.51.100.7", user_agent=TABLET, browser="b1").network != (
        a.network
    )
    # a user agent alone is every phone of that model: no device without the browser cookie
    assert same_net.device is None and a.device is not None


def _answers(n, *, staff=0, ref="a"):
    out = [Answer(5, 10, False, 86400, ref=f"{ref}{i}") for i in range(n)]
    out += [
        Answer(5, 10, False, 86400, ref=f"t{i}", from_staff=("network:" + "ab" * 16,))
        for i in range(staff)
    ]
    return out


def test_many_answers_from_the_staffs_origins_are_flagged_with_hashed_evidence():
    r = assess(
        _answers(40, staff=12), network_perfect=3000, network_responses=10000, network_from_staff=50
    )
    (flag,) = [fl for fl in r.flags if fl["code"] == "answered_from_dealer_origin"]
    ev = flag["evidence"]
    assert (ev["answers"], ev["share"], ev["network_share"]) == (12, 0.231, 0.02)
    assert ev["from_network"] == 12 and ev["networks"] == {"abababababab": 12}
    assert ev["examples"] == ["t0", "t1", "t2", "t3", "t4"] and ev["p_value"] < 0.001
    # those answers are left out of the clean CSAT
    mixed = _answers(10, staff=10)
    mixed = [Answer(2, 5, False, 86400)] * 10 + mixed[10:]
    assert assess(mixed, network_perfect=30, network_responses=100).csat_without_flagged == 2.0


def _staff_flagged(answers, **network):
    found = flags(tally(answers), network_perfect=0, **network)
    return "answered_from_dealer_origin" in {fl["code"] for fl in found}


def test_a_waiting_room_answer_now_and_then_is_not_a_flag():
    # two of 60 answered on the showroom's Wi-Fi: what customers waiting for their car do
    assert not _staff_flagged(_answers(58, staff=2), network_responses=0)
    # a network where many answers come from staff origins (a shared carrier /24) raises
    # the bar: 8 of 60 is not far above a network share of 8 %
    eight = _answers(52, staff=8)
    assert not _staff_flagged(eight, network_responses=10000, network_from_staff=800)
    assert _staff_flagged(eight, network_responses=10000, network_from_staff=0)


def _proxied(db, settings, trust_proxy):
    return TestClient(
        create_app(settings.model_copy(update={"trust_proxy": trust_proxy}), db, run_jobs=False)
    )


def _surveys(client, db, net, n):
    """n open service surveys at SH-1 for the test customer, sent a day ago."""
    now = dt.datetime.now(dt.UTC)
    with db.transaction() as s:
        uid = s.scalar(select(User.id).where(User.email == net["users"]["customer"]))
        rows = [
            Survey(
                token=secrets.token_urlsafe(24),
                customer_id=uid,
                dealer_id=net["dealers"]["SH-1"],
                about="service",
                subject_id=f"s{i}",
                created_at=now - dt.timedelta(days=1),
                expires_at=now + dt.timedelta(days=20),
            )
            for i in range(n)
        ]
        s.add_all(rows)
    return [r.token for r in rows]


def test_answers_from_the_showroom_are_matched_against_staff_logins_through_http(db, settings):
    net = f.network(db)
    with _proxied(db, settings, True) as client:
        tokens = _surveys(client, db, net, 12)
        showroom = {"X-Forwarded-For": "10.9.9.9, 198.51.100.23", "User-Agent": TABLET}
        # the manager logs in to the portal from the showroom, on the tablet (page login)
        client.cookies.clear()
        page = client.get("/login", headers=showroom)
        assert "mm_browser" in page.cookies
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        r = client.post(
            "/login",
            data={"email": net["users"]["manager"], "password": f.PASSWORD, "csrf_token": csrf},
            headers=showroom,
            follow_redirects=False,
        )
        assert r.status_code == 303
        tablet = client.cookies.get("mm_browser")
        client.cookies.clear()
        # the tablet is handed to 6 customers; 2 answer from elsewhere on the showroom Wi-Fi
        for token in tokens[:6]:
            client.cookies.set("mm_browser", tablet)
            ok = client.post(f"/api/v1/surveys/{token}", json=GOOD, headers=showroom)
            assert ok.status_code == 200, ok.text
            client.cookies.clear()
        wifi = {"X-Forwarded-For": "198.51.100.140", "User-Agent": "Android phone"}
        for token in tokens[6:8]:
            assert client.post(f"/api/v1/surveys/{token}", json=GOOD, headers=wifi).is_success
        home = {"X-Forwarded-For": "203.0.113.5", "User-Agent": "Android phone"}
        for token in tokens[8:]:
            assert client.post(f"/api/v1/surveys/{token}", json=GOOD, headers=home).is_success
        admin = f.token(client, net["users"]["admin"])
        body = client.get("/api/v1/admin/dealers/SH-1/survey-integrity", headers=admin).json()
    (flag,) = [fl for fl in body["flags"] if fl["code"] == "answered_from_dealer_origin"]
    ev = flag["evidence"]
    assert (ev["answers"], ev["from_network"], ev["from_device"]) == (8, 8, 6)
    assert len(ev["networks"]) == 1 and list(ev["networks"].values()) == [8]
    assert list(ev["devices"].values()) == [6]
    # only hashes are kept: no address, no prefix, anywhere in the rows
    with db.reading() as s:
        stored = [
            str(v)
            for row in s.execute(text("SELECT * FROM staff_origins")).all()
            + s.execute(text("SELECT answer_network, answer_device FROM surveys")).all()
            for v in row
        ]
        kinds = set(s.scalars(select(StaffOrigin.kind)))
    assert kinds == {"network", "device"}
    assert not any("198.51" in v or "203.0" in v for v in stored)


def test_forwarded_for_is_believed_only_behind_a_trusted_proxy(db, settings):
    net = f.network(db)
    with _proxied(db, settings, False) as client:
        (token,) = _surveys(client, db, net, 1)
        headers = {"X-Forwarded-For": "198.51.100.23"}
        f.token(client, net["users"]["staff"])  # API login: network only, from the socket
        client.post(f"/api/v1/surveys/{token}", json=GOOD, headers=headers)
    with db.reading() as s:
        survey = s.scalar(select(Survey))
    # the test client's socket address is not an IP: nothing recorded, the header ignored
    assert survey.answered_at is not None and survey.answer_network is None
    now = dt.datetime.now(dt.UTC)
    assert survey.answered_at <= now
