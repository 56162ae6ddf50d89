"""The SLA sweep at its edges: every dealer tried, nobody left, one lead that fails."""

import datetime as dt

import pytest
from sqlalchemy import delete, select, update

from motormall.catalog.models import dealer_brands
from motormall.leads import service
from motormall.leads.jobs import reroute_overdue_leads
from motormall.leads.models import Lead, LeadAssignment
from motormall.platform.audit import AuditEntry
from tests import factories as f
from tests.leads.test_leads_api import inquire


@pytest.fixture
def buyer(client, net):
    return f.token(client, net["users"]["customer"])


@pytest.fixture
def net(db):
    return f.network(db)


def _overdue(db):
    with db.transaction() as s:
        s.execute(update(Lead).values(sla_due_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))


def _lead(db, lead_id):
    with db.reading() as s:
        lead = s.get(Lead, lead_id)
        reasons = list(
            s.scalars(
                select(LeadAssignment.reason)
                .where(LeadAssignment.lead_id == lead_id)
                .order_by(LeadAssignment.id)
            )
        )
        return lead, reasons


def _stop_selling(db, dealer_ids, brand_id):
    with db.transaction() as s:
        s.execute(
            delete(dealer_brands).where(
                dealer_brands.c.dealer_id.in_(dealer_ids), dealer_brands.c.brand_id == brand_id
            )
        )


def test_a_lead_nobody_else_sells_stays_with_its_dealer_flagged(client, db, net, buyer):
    """Only SH-1 sells BMW: the overdue lead cannot move, so it stays, flagged, with a new
    due time (not picked up again every minute), and no withdrawal is sent to anyone."""
    lead_id = inquire(client, buyer, net).json()["id"]
    _stop_selling(db, [net["dealers"]["SH-2"], net["dealers"]["NJ-1"]], net["brands"][0])
    _overdue(db)
    assert reroute_overdue_leads() == 1
    lead, reasons = _lead(db, lead_id)
    assert lead.dealer_id == net["dealers"]["SH-1"] and reasons == ["routed"]
    assert "no_dealer_left" in lead.flags and lead.reroutes == 0
    assert lead.sla_due_at > dt.datetime.now(dt.UTC)
    assert reroute_overdue_leads() == 0
    with db.reading() as s:
        actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == lead_id)))
    assert "lead.no_dealer_left" in actions and "lead.rerouted" not in actions


def test_a_lead_with_no_candidate_at_all_stays_flagged(client, db, net, buyer):
    lead_id = inquire(client, buyer, net).json()["id"]
    _stop_selling(db, list(net["dealers"].values()), net["brands"][0])
    _overdue(db)
    assert reroute_overdue_leads() == 1
    lead, reasons = _lead(db, lead_id)
    assert lead.dealer_id == net["dealers"]["SH-1"] and "no_dealer_left" in lead.flags
    assert reasons == ["routed"]


def test_when_every_dealer_was_tried_a_new_round_begins(client, db, net, buyer):
    """Three dealers, each breaching in turn: the lead visits each once, then goes back to
    the best of them rather than crashing or staying put."""
    lead_id = inquire(client, buyer, net).json()["id"]
    visited = [net["dealers"]["SH-1"]]
    for _ in range(2):
        _overdue(db)
        assert reroute_overdue_leads() == 1
        visited.append(_lead(db, lead_id)[0].dealer_id)
    assert sorted(visited) == sorted(net["dealers"].values())  # each dealer exactly once
    _overdue(db)
    assert reroute_overdue_leads() == 1
    lead, reasons = _lead(db, lead_id)
    assert reasons == ["routed", "sla_breach", "sla_breach", "sla_breach"]
    assert lead.dealer_id != visited[-1] and lead.reroutes == 3
    assert "no_dealer_left" not in lead.flags


def test_one_lead_without_candidates_does_not_undo_the_others(client, db, net, buyer):
    """Before the fix one such lead raised AttributeError and rolled back every re-routing."""
    movable = inquire(client, buyer, net).json()["id"]  # BMW: other dealers can take it
    stuck = inquire(client, buyer, net, model_id=net["models"][1]).json()["id"]  # Ford
    _stop_selling(db, list(net["dealers"].values()), net["brands"][1])
    _overdue(db)
    assert reroute_overdue_leads() == 2
    assert _lead(db, movable)[1] == ["routed", "sla_breach"]
    assert "no_dealer_left" in _lead(db, stuck)[0].flags


def test_a_lead_that_fails_is_left_for_the_next_sweep(client, db, net, buyer, monkeypatch):
    first = inquire(client, buyer, net).json()["id"]
    second = inquire(client, buyer, net, model_id=net["models"][1]).json()["id"]
    _overdue(db)
    real = service._reroute

    def broken_for_first(session, lead, policy, *, now):
        real(session, lead, policy, now=now)  # its writes happen, then it fails
        if lead.id == first:
            raise RuntimeError("boom")

    monkeypatch.setattr(service, "_reroute", broken_for_first)
    assert reroute_overdue_leads() == 2
    assert _lead(db, first)[1] == ["routed"]  # its savepoint was rolled back whole
    assert _lead(db, second)[1] == ["routed", "sla_breach"]
    monkeypatch.setattr(service, "_reroute", real)
    assert reroute_overdue_leads() == 1  # the failed one is still overdue, and now moves
    assert _lead(db, first)[1] == ["routed", "sla_breach"]
