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


def assess(answers: list[Answer], *, network_perfect: int, network_responses: int) -> Report:
    """The dealer's CSAT with and without suspect answers, and every signal that fires.
    `network_*` count the rest of the network's answers (the dealer's own excluded)."""
    flags: list[dict] = []
    incentives = [a for a in answers if a.incentive_offered]
    if incentives:
        flags.append(
            {
                "code": "incentives_reported",
                "evidence": {
                    "answers": len(incentives),
                    "share": round(len(incentives) / len(answers), 3),
                },
            }
        )
    perfect = sum(a.perfect for a in answers)
    if len(answers) >= MIN_RESPONSES and network_responses:
        p0 = network_perfect / network_responses
        test = binomtest(perfect, len(answers), p0, alternative="greater")
        if test.pvalue < ALPHA:
            flags.append(
                {
                    "code": "perfect_scores_above_network",
                    "evidence": {
                        "perfect": perfect,
                        "responses": len(answers),
                        "share": round(perfect / len(answers), 3),
                        "network_share": round(p0, 3),
                        "p_value": float(f"{test.pvalue:.3g}"),
                        "test": "one-sided exact binomial",
                    },
                }
            )
    spot = [a for a in answers if a.on_the_spot]
    if len(spot) >= ON_THE_SPOT_MIN and len(spot) / len(answers) >= ON_THE_SPOT_SHARE:
        flags.append(
            {
                "code": "answered_on_the_spot",
                "evidence": {
                    "answers": len(spot),
                    "share": round(len(spot) / len(answers), 3),
                    "within_seconds": int(ON_THE_SPOT.total_seconds()),
                },
            }
        )
    clean = [a for a in answers if not a.incentive_offered and not a.on_the_spot]
    return Report(
        responses=len(answers),
        csat=_mean(a.csat for a in answers),
        csat_without_flagged=_mean(a.csat for a in clean),
        flags=flags,
    )
