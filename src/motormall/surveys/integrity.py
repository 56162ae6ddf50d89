"""Signals that a dealer's ratings are gamed, each with its evidence. Plain Python: the
caller passes the dealer's answers and the rest of the network's figures.

The perfect-score signal is a one-sided exact binomial test (scipy.stats.binomtest): under
the hypothesis that the dealer's customers give perfect scores as often as the rest of the
network's, how unlikely is the dealer's count? A fixed cut-off ("over 90 % perfect") would
flag honest dealers with few answers and miss large ones; the test weighs the count by the
number of answers. The significance level is 0.001 because the carmaker looks at every
dealer: with 500 honest dealers about one in two screenings flags one by chance.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from scipy.stats import binomtest

ALPHA = 0.001
MIN_RESPONSES = 10  # fewer answers say nothing either way
# Answered this soon after the survey was sent: most likely at the dealer's desk, on a phone
# the staff held out.
ON_THE_SPOT = dt.timedelta(minutes=2)
ON_THE_SPOT_MIN, ON_THE_SPOT_SHARE = 3, 0.2


@dataclass(frozen=True)
class Answer:
    csat: int
    nps: int
    incentive_offered: bool
    seconds_after_sent: float

    @property
    def perfect(self) -> bool:
        return self.csat == 5 and self.nps == 10

    @property
    def on_the_spot(self) -> bool:
        return self.seconds_after_sent < ON_THE_SPOT.total_seconds()


@dataclass
class Report:
    responses: int
    csat: float | None
    csat_without_flagged: float | None
    flags: list[dict] = field(default_factory=list)


def _mean(values) -> float | None:
    values = list(values)
    return round(sum(values) / len(values), 2) if values else None


@dataclass(frozen=True)
class Tally:
    """A dealer's answers counted: what the signals need, so a caller that counts in SQL
    (the carmaker's league table) gets the same verdicts as one holding every answer."""

    responses: int
    perfect: int
    incentives: int
    on_the_spot: int


def assess(answers: list[Answer], *, network_perfect: int, network_responses: int) -> Report:
    """The dealer's CSAT with and without suspect answers, and every signal that fires.
    `network_*` count the rest of the network's answers (the dealer's own excluded)."""
    tally = Tally(
        responses=len(answers),
        perfect=sum(a.perfect for a in answers),
        incentives=sum(bool(a.incentive_offered) for a in answers),
        on_the_spot=sum(a.on_the_spot for a in answers),
    )
    clean = [a for a in answers if not a.incentive_offered and not a.on_the_spot]
    return Report(
        responses=len(answers),
        csat=_mean(a.csat for a in answers),
        csat_without_flagged=_mean(a.csat for a in clean),
        flags=flags(tally, network_perfect=network_perfect, network_responses=network_responses),
    )


def flags(t: Tally, *, network_perfect: int, network_responses: int) -> list[dict]:
    """Every gaming signal that fires for these counts, with its evidence."""
    found: list[dict] = []
    if t.incentives:
        found.append(
            {
                "code": "incentives_reported",
                "evidence": {
                    "answers": t.incentives,
                    "share": round(t.incentives / t.responses, 3),
                },
            }
        )
    if t.responses >= MIN_RESPONSES and network_responses:
        p0 = network_perfect / network_responses
        test = binomtest(t.perfect, t.responses, p0, alternative="greater")
        if test.pvalue < ALPHA:
            found.append(
                {
                    "code": "perfect_scores_above_network",
                    "evidence": {
                        "perfect": t.perfect,
                        "responses": t.responses,
                        "share": round(t.perfect / t.responses, 3),
                        "network_share": round(p0, 3),
                        "p_value": float(f"{test.pvalue:.3g}"),
                        "test": "one-sided exact binomial",
                    },
                }
            )
    if t.on_the_spot >= ON_THE_SPOT_MIN and t.on_the_spot / t.responses >= ON_THE_SPOT_SHARE:
        found.append(
            {
                "code": "answered_on_the_spot",
                "evidence": {
                    "answers": t.on_the_spot,
                    "share": round(t.on_the_spot / t.responses, 3),
                    "within_seconds": int(ON_THE_SPOT.total_seconds()),
                },
            }
        )
    return found
