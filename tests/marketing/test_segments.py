"""The segment language: one SQL count over profile, memberships and events; faults name
their line and column."""

import datetime as dt

import pytest
from sqlalchemy import update

import motormall.handlers  # noqa: F401  joining publishes an event
from motormall.marketing import consent, segments
from motormall.membership import service as membership
from motormall.membership.models import Membership
from motormall.platform.auth import Role, create_user
from motormall.platform.db import utcnow
from motormall.platform.errors import Invalid
from motormall.platform.events import DomainEvent
from tests import factories as f
from tests.catalog.test_api import problem

NOW = dt.datetime.now(dt.UTC)


def _people(db):
    """Five customers: who lives where, who is a member at which tier, who did what."""
    net = f.network(db)
    with db.transaction() as s:
        made = {}
        for name, city in [
            ("ann", "Shanghai"),
            ("bo", "Hangzhou"),
            ("cy", "Beijing"),
            ("di", "Shanghai"),
            ("ed", "Shanghai"),
        ]:
            made[name] = create_user(
                s, email=f"{name}@test.dev", password=f.PASSWORD, role=Role.customer, city=city
            ).id
        for name in ("ann", "bo", "cy", "di"):
            consent.record(s, made[name], "email", True, source="settings", now=NOW)
        consent.record(s, made["ed"], "email", False, source="settings", now=NOW)
        for name, brand, rank in [
            ("ann", "BMW", 2),
            ("bo", "BMW", 3),
            ("cy", "BMW", 3),
            ("di", "FORD", 2),
            ("ed", "BMW", 3),
        ]:
            m = membership.join(s, made[name], brand, now=NOW)
            s.flush()
            s.execute(update(Membership).where(Membership.id == m.id).values(tier_rank=rank))

        def event(who, type_, days_ago, entity="o1"):
            s.add(
                DomainEvent(
                    type=type_,
                    customer_id=made[who],
                    entity_type="x",
                    entity_id=entity,
                    payload={},
                    at=NOW - dt.timedelta(days=days_ago),
                )
            )

        event("ann", "order.handed_over", 6 * 365, "old")
        event("bo", "order.handed_over", 6 * 365, "returned")
        event("bo", "order.returned", 6 * 365 - 3, "returned")
        event("di", "test_drive.returned", 10)
        event("cy", "test_drive.returned", 10)
        event("cy", "order.reserved", 5)
    return net, made


@pytest.mark.parametrize(
    ("rule", "size"),
    [
        ("all", 4),  # ed said no to marketing
        ('brand = "BMW" and tier >= gold and city in ("Shanghai", "Hangzhou")', 2),
        ('brand = "BMW" and tier >= platinum', 2),
        ("tier >= gold and city = 'x'", 0),
        ("owns_car_older_than(5y)", 1),  # bo returned his
        ("test_drove_without_buying(90d)", 1),  # cy bought afterwards
        ('not member("BMW")', 1),
        ('member(BMW, platinum) or city = "shanghai"', 4),
        ("points >= 0 and active_within(30d)", 4),  # joining is activity
        ("not active_within(30d)", 0),
        ("interested_in(bev)", 0),
    ],
)
def test_segments_size_as_one_count(db, rule, size):
    _people(db)
    with db.reading() as s:
        if size is None:
            with pytest.raises(Invalid) as exc:
                segments.size(s, rule, now=utcnow())
            assert exc.value.code == "segment_invalid"
        else:
            assert segments.size(s, rule, now=utcnow()) == size


@pytest.mark.parametrize(
    ("rule", "line", "column", "words"),
    [
        ('brand = "BMW" and\n  tier >= diamond', 2, 11, "unknown tier"),
        ("brand = ", 1, None, "ends too early"),
        ("tier >= gold and and city = 'x'", 1, 18, "unexpected"),
        ("colour = 'red'", 1, 1, "unknown field"),
        ("owns_car_older_than(5)", 1, 21, "duration"),
        ("bought_within(9d, 3d)", 1, 1, "takes 1"),
        ("brand = 'TESLA'", 1, 9, "unknown brand"),
        ("city = @", 1, 8, "unexpected character"),
        ("", 1, 1, "empty"),
        ("not " * 1500 + "city = 'x'", 1, 1, "nests"),
    ],
)
def test_faults_name_line_and_column(db, rule, line, column, words):
    f.network(db)
    with db.reading() as s, pytest.raises(Invalid) as exc:
        segments.size(s, rule, now=utcnow())
    assert exc.value.code == "segment_invalid"
    assert exc.value.fields["line"] == line and words in exc.value.detail
    if column is not None:
        assert exc.value.fields["column"] == column


def test_preview_over_the_api(client, db):
    net, _ = _people(db)
    admin = f.token(client, net["users"]["admin"])
    r = client.post(
        "/api/v1/segments/preview",
        headers=admin,
        json={"segment": 'brand = "BMW" and tier >= gold'},
    )
    assert r.status_code == 200 and r.json() == {"size": 3}, r.text
    r = client.post("/api/v1/segments/preview", headers=admin, json={"segment": "tier >="})
    body = problem(r, 422, "segment_invalid")
    assert body["line"] == 1
    buyer = f.token(client, net["users"]["customer"])
    problem(
        client.post("/api/v1/segments/preview", headers=buyer, json={"segment": "all"}),
        403,
        "role_not_allowed",
    )


def test_consent_per_channel_and_a_signed_unsubscribe_link(client, db):
    net = f.network(db)
    buyer = f.token(client, net["users"]["customer"])
    assert client.get("/api/v1/me/marketing-consent", headers=buyer).json()["items"] == {
        "inbox": False,
        "email": False,
        "sms": False,
    }
    r = client.put(
        "/api/v1/me/marketing-consent", headers=buyer, json={"channel": "email", "granted": True}
    )
    assert r.json()["items"]["email"] is True
    me = client.get("/api/v1/me", headers=buyer).json()["id"]
    token = consent.unsubscribe_token(me, "email")
    r = client.post("/api/v1/marketing/unsubscribe", params={"token": token})
    assert r.status_code == 200 and r.json()["items"]["email"] is False, r.text
    problem(
        client.post("/api/v1/marketing/unsubscribe", params={"token": token[:-2] + "xx"}),
        400,
        "bad_unsubscribe_link",
    )
