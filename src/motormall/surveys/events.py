"""What the surveys domain announces. Answers name no dealer: the carmaker collects them, the
dealer's staff do not read them on the customer timeline."""

from __future__ import annotations

from dataclasses import dataclass

from motormall.platform.events import Event


@dataclass(frozen=True, kw_only=True)
class SurveyAnswered(Event):
    type = "survey.answered"
    entity_type = "survey"

    about: str
    dissatisfied: bool


@dataclass(frozen=True, kw_only=True)
class CaseOpened(Event):
    type = "case.opened"
    entity_type = "case"

    due_at: str


@dataclass(frozen=True, kw_only=True)
class CaseEscalated(Event):
    type = "case.escalated"
    entity_type = "case"


@dataclass(frozen=True, kw_only=True)
class CaseResolved(Event):
    type = "case.resolved"
    entity_type = "case"


@dataclass(frozen=True, kw_only=True)
class CaseReopened(Event):
    """The customer said a resolved case was not resolved."""

    type = "case.reopened"
    entity_type = "case"

    due_at: str
