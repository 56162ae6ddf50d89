"""A dealer reading its own lead sees its own routing facts, never its rivals'."""

import datetime as dt

from sqlalchemy import update

from motormall.leads.jobs import reroute_overdue_leads
from motormall.leads.models import Lead
from tests import factories as f
from tests.leads.test_leads_api import inquire


def test_a_dealer_sees_only_its_own_candidate_row_the_carmaker_sees_all(client, db):
    net = f.network(db)
    buyer = f.token(client, net["users"]["customer"])
    lead_id = inquire(client, buyer, net).json()["id"]
    admin = f.token(client, net["users"]["admin"])
    staff = f.token(client, net["users"]["staff"])  # SH-1, which got the lead

    seen_by_admin = client.get(f"/api/v1/leads/{lead_id}", headers=admin).json()
    (decision,) = seen_by_admin["assignments"]
    assert {c["dealer"] for c in decision["candidates"]} == {"SH-1", "SH-2"}

    (mine,) = client.get(f"/api/v1/leads/{lead_id}", headers=staff).json()["assignments"]
    assert [c["dealer"] for c in mine["candidates"]] == ["SH-1"]
    own = next(c for c in decision["candidates"] if c["dealer"] == "SH-1")
    assert mine["candidates"][0] == own  # its own score, capacity and rate are kept

    # after a re-route the new dealer sees both decisions, each with only its own row
    with db.transaction() as s:
        s.execute(update(Lead).values(sla_due_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))
    assert reroute_overdue_leads() == 1
    other = f.token(client, net["users"]["other_manager"])  # SH-2
    seen = client.get(f"/api/v1/leads/{lead_id}", headers=other).json()
    assert seen["dealer_code"] == "SH-2" and len(seen["assignments"]) == 1
    assert [c["dealer"] for c in seen["assignments"][0]["candidates"]] == ["SH-2"]
