"""Survey and case rules: when an answer is dissatisfied, how long a token lives, how long a
dealer has to act. Plain Python."""

from __future__ import annotations

import datetime as dt

SURVEY_VALID = dt.timedelta(days=30)
# A dissatisfied answer opens a case (the thresholds the carmaker's programme uses).
CSAT_DISSATISFIED = 2  # CSAT at or below
NPS_DISSATISFIED = 6  # NPS at or below (a detractor)
# The dealer's manager has this much opening time to resolve a case before it escalates.
CASE_DUE_MINUTES = 8 * 60
CASE_EVENT_TYPES = ("note", "contacted", "resolved")
COMPLAINT_ABOUT = ("sales", "service", "parts", "other")


def dissatisfied(csat: int, nps: int) -> bool:
    return csat <= CSAT_DISSATISFIED or nps <= NPS_DISSATISFIED


OVERDUE = ("open", "contacted")  # what the sweep escalates once due_at has passed


def status_after(current: str, event_type: str) -> str:
    """A note leaves the status; contacting moves an open case on (an escalated one stays
    escalated: the carmaker watches it until it is resolved); resolving closes it."""
    if event_type == "resolved":
        return "resolved"
    if event_type == "contacted" and current == "open":
        return "contacted"
    return current
