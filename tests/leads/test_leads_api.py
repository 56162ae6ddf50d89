"""Leads over HTTP: intake, dedupe, the inbox, events, ADF, SLA re-routing, attribution."""

import datetime as dt

import pytest
from sqlalchemy import update

from motormall.leads.models import Lead
from tests import factories as f
from tests.catalog.test_api import problem

PUDONG = "31.2215,121.5440"  # next to SH-1


@pytest.fixture
def net(db):
    return f.network(db)


@pytest.fixture
def buyer(client, net):
    return f.token(client, net["users"]["customer"])


def inquire(client, headers, net, **extra):
    body = {
        "channel": "web",
        "model_id": net["models"][0],
        "message": "Is it in blue?",
        "near": PUDONG,
        **extra,
    }
    return client.post("/api/v1/leads", json=body, headers=headers)


def test_an_inquiry_goes_to_the_nearest_dealer_with_a_due_time(client, net, buyer):
    r = inquire(client, buyer, net)
    assert r.status_code == 201, r.text
    lead = r.json()
    assert lead["dealer_code"] == "SH-1" and lead["id"] and lead["merged"] is False
    assert dt.datetime.fromisoformat(lead["sla_due_at"]) > dt.datetime.now(dt.UTC)
    mine = client.get(f"/api/v1/leads/{lead['id']}", headers=buyer).json()
    assert mine["dealer_code"] == "SH-1" and mine["assignments"] is None  # no scores for buyers


def test_the_same_question_again_joins_the_open_lead(client, net, buyer):
    first = inquire(client, buyer, net).json()
    again = inquire(client, buyer, net, channel="photo_search", message="And in white?")
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    assert again.json()["merged"] is True
    staff = f.token(client, net["users"]["staff"])
    lead = client.get(f"/api/v1/leads/{first['id']}", headers=staff).json()
    assert lead["inquiries"] == 2 and "And in white?" in lead["message"]
    other_model = inquire(client, buyer, net, model_id=net["models"][1])
    assert other_model.status_code == 201 and other_model.json()["id"] != first["id"]


def test_bad_inquiries(client, net, buyer):
    problem(inquire(client, buyer, net, model_id=99999), 422, "unknown_model")
    problem(inquire(client, buyer, net, model_id=None, vin=f.vin(777)), 422, "unknown_vehicle")
    problem(inquire(client, buyer, net, channel="fax"), 422, "validation_error")
    problem(inquire(client, buyer, net, near="95,0"), 422, "coordinate_out_of_range")
    staff = f.token(client, net["users"]["staff"])
    problem(inquire(client, staff, net), 403, "role_not_allowed")


def test_a_customer_beyond_every_dealers_reach_is_routed_and_flagged(client, net, buyer):
    r = inquire(client, buyer, net, near="43.82,87.61")  # Urumqi, 3,000 km away
    assert r.status_code == 201 and r.json()["flags"] == ["outside_radius"]


def test_an_inquiry_about_a_vin_routes_from_where_the_car_stands(client, db, net, buyer):
    vin = f.stock(db, net["dealers"]["NJ-1"], net["trims"][1], [5])[0]
    r = client.post("/api/v1/leads", json={"channel": "web", "vin": vin}, headers=buyer)
    assert r.status_code == 201 and r.json()["dealer_code"] == "NJ-1"


def test_the_inbox_is_the_dealers_own_and_sorted_by_due_time(client, db, net, buyer):
    first = inquire(client, buyer, net).json()
    second = inquire(client, buyer, net, model_id=net["models"][1]).json()
    with db.transaction() as s:  # make the second lead the more urgent one
        s.execute(
            update(Lead)
            .where(Lead.id == second["id"])
            .values(sla_due_at=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5))
        )
    staff = f.token(client, net["users"]["staff"])
    items = client.get("/api/v1/dealer/leads", headers=staff).json()["items"]
    assert [i["id"] for i in items] == [second["id"], first["id"]]
    assert items[0]["assignments"][0]["candidates"][0]["dealer"] == "SH-1"
    page = client.get("/api/v1/dealer/leads?limit=1", headers=staff).json()
    rest = client.get(
        f"/api/v1/dealer/leads?limit=1&cursor={page['next_cursor']}", headers=staff
    ).json()
    assert [page["items"][0]["id"], rest["items"][0]["id"]] == [second["id"], first["id"]]
    other = f.token(client, net["users"]["other_manager"])
    assert client.get("/api/v1/dealer/leads", headers=other).json()["items"] == []
    problem(client.get(f"/api/v1/leads/{first['id']}", headers=other), 404, "lead_not_found")


def test_the_dealer_works_the_lead(client, net, buyer):
    lead = inquire(client, buyer, net).json()
    staff = f.token(client, net["users"]["staff"])
    post = lambda t, note="": client.post(  # noqa: E731
        f"/api/v1/leads/{lead['id']}/events", json={"type": t, "note": note}, headers=staff
    )
    r = post("contacted", "called, wants a test drive")
    assert r.status_code == 200 and r.json()["status"] == "contacted"
    assert r.json()["first_contact_at"]
    problem(post("contacted"), 409, "illegal_transition")
    assert post("note", "prefers Saturdays").status_code == 200
    amount = {"amount": "259000.00", "currency": "CNY"}
    wrong = {"type": "note", "amount": amount}
    url = f"/api/v1/leads/{lead['id']}/events"
    problem(client.post(url, json=wrong, headers=staff), 422, "amount_not_allowed")
    quoted = client.post(url, json={"type": "quoted", "amount": amount}, headers=staff).json()
    assert quoted["status"] == "quoted" and quoted["events"][-1]["amount"] == amount
    problem(post("test_drive_booked"), 409, "illegal_transition")
    problem(post("lost"), 422, "reason_required")
    assert post("lost", "bought elsewhere").json()["status"] == "lost"
    problem(post("won"), 409, "lead_closed")
    problem(
        client.post(
            f"/api/v1/leads/{lead['id']}/events", json={"type": "teleported"}, headers=staff
        ),
        422,
        "validation_error",
    )
    other = f.token(client, net["users"]["other_manager"])
    problem(
        client.post(f"/api/v1/leads/{lead['id']}/events", json={"type": "note"}, headers=other),
        404,
        "lead_not_found",
    )
    timeline = client.get(
        "/api/v1/customers/" + client.get("/api/v1/me", headers=buyer).json()["id"] + "/timeline",
        headers=buyer,
    ).json()["items"]
    assert {"lead.assigned", "lead.contacted", "lead.lost"} <= {e["type"] for e in timeline}


def test_adf_export_is_valid_against_the_dtd(client, db, net, buyer):
    from lxml import etree

    from motormall.leads.adf import DTD

    vin = f.stock(db, net["dealers"]["SH-1"], net["trims"][0], [3])[0]
    lead = client.post(
        "/api/v1/leads",
        json={"channel": "web", "vin": vin, "message": "<script>alert(1)</script> & 价格?"},
        headers=buyer,
    ).json()
    staff = f.token(client, net["users"]["staff"])
    r = client.get(f"/api/v1/leads/{lead['id']}.adf", headers=staff)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    doc = etree.fromstring(r.content)
    assert etree.DTD(str(DTD)).validate(doc), etree.DTD(str(DTD)).error_log
    assert doc.findtext("prospect/vehicle/vin") == vin
    assert doc.findtext("prospect/vehicle/make") == "BMW"
    assert doc.findtext("prospect/customer/comments") == "<script>alert(1)</script> & 价格?"
    assert doc.findtext("prospect/vendor/vendorname") == "Dealer SH-1"
    problem(client.get(f"/api/v1/leads/{lead['id']}.adf", headers=buyer), 404, "lead_not_found")


def test_a_lead_not_contacted_in_time_goes_to_the_next_dealer(client, db, net, buyer):
    from motormall.leads.jobs import reroute_overdue_leads

    lead = inquire(client, buyer, net).json()
    with db.transaction() as s:
        s.execute(update(Lead).values(sla_due_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))
    assert reroute_overdue_leads() == 1
    admin = f.token(client, net["users"]["admin"])
    moved = client.get(f"/api/v1/leads/{lead['id']}", headers=admin).json()
    assert moved["dealer_code"] == "SH-2" and "rerouted" in moved["flags"]
    assert [a["reason"] for a in moved["assignments"]] == ["routed", "sla_breach"]
    assert reroute_overdue_leads() == 0  # the new due time is in the future
    # the first dealer no longer sees it; the breach counts against it
    staff = f.token(client, net["users"]["staff"])
    problem(client.get(f"/api/v1/leads/{lead['id']}", headers=staff), 404, "lead_not_found")
    stats = {
        d["dealer"]: d
        for d in client.get("/api/v1/admin/leads/conversion", headers=admin).json()["items"]
    }
    assert stats["SH-1"]["sla_breaches"] == 1 and stats["SH-2"]["leads"] == 1
    # the scheduled refresh marks SH-1 down; routing reads that, not a scan of history
    from motormall.leads.jobs import refresh_stats
    from motormall.leads.models import DealerLeadStats
    from motormall.leads.stats import PRIOR

    refresh_stats()
    with db.reading() as s:
        rates = {r.dealer_id: r.response_rate for r in s.query(DealerLeadStats)}
    assert rates[net["dealers"]["SH-1"]] < PRIOR


def test_an_order_credits_the_dealer_that_worked_the_lead(client, db, net, buyer):
    vin = f.stock(db, net["dealers"]["NJ-1"], net["trims"][0], [9])[0]
    inquire(client, buyer, net)  # SH-1 works this customer's iX3 lead
    order = client.post(
        "/api/v1/orders", json={"vin": vin, "delivery_dealer": "NJ-1"}, headers=buyer
    ).json()
    assert order["credited_dealer"] == "SH-1" and order["delivery"]["code"] == "NJ-1"
    admin = f.token(client, net["users"]["admin"])
    stats = {
        d["dealer"]: d
        for d in client.get("/api/v1/admin/leads/conversion", headers=admin).json()["items"]
    }
    assert stats["SH-1"]["orders"] == 1 and stats["SH-1"]["order_rate"] == 1.0


def test_the_routing_policy_is_a_carmaker_setting(client, net, buyer):
    admin = f.token(client, net["users"]["admin"])
    r = client.put(
        "/api/v1/admin/leads/policy", json={"radius_km": 5, "widen_to_km": [10]}, headers=admin
    )
    assert r.status_code == 200 and r.json()["radius_km"] == 5
    problem(
        client.put("/api/v1/admin/leads/policy", json={"widen_to_km": [1]}, headers=admin),
        422,
        "policy_invalid",
    )
    far = inquire(client, buyer, net, near="31.30,121.90")  # ~35 km from SH-1
    assert far.json()["dealer_code"] == "SH-1" and far.json()["flags"] == ["outside_radius"]
