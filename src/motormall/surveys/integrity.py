"""Signals that a dealer's ratings are gamed, each with its evidence. Plain Python: the
caller passes the dealer's answers and the rest of the network's figures.

The perfect-score signal is a one-sided exact binomial test (scipy.stats.binomtest): under
the hypothesis that the dealer's customers give perfect scores as often as the rest of the
network's, how unlikely is the dealer's count? A fixed cut-off ("over 90 % perfect") would
flag honest dealers with few answers and miss large ones; the test weighs the count by the
number of answers. The significance level is 0.001 because the carmaker looks at every
dealer: with 500 honest dealers about one in two screenings flags one by chance.

Honest dealers differ, though: a well-run one really has more delighted customers, and fewer
unhappy ones. Against one pooled network share every large, good, honest dealer is "far
above" it. So, given enough dealers (`fit_network`), the test asks how many perfect scores the
dealer's own share of unhappy answers (CSAT <= 3 or NPS <= 6) predicts, from the relation
between the two across the network (a line in log-odds, fitted to the middle 90 % of dealers
by residual), and flags a dealer whose perfect scores are far above that, allowing for the
network's spread around the line and the dealer's sample size. Asking customers for perfect
scores, or handing them a tablet, fills the top box without making unhappy customers happy:
that is the mark it finds. Measured on 500 simulated dealers in bench/survey_integrity.py.

Incentives: one customer may tick "someone offered me something" by mistake; a dealer is
flagged when its reports are far more than that noise (INCENTIVE_NOISE) explains, by the same
one-sided binomial test.

Answers from the dealer's own network or devices: each answer carries keyed hashes of the
network it came from and of the browser (platform/origin.py), and so do the dealer's staff
logins. An answer from a network or device the dealer's staff log in from is what a showroom
tablet or the dealer's Wi-Fi leaves behind; some honest customers do it too (answering in the
waiting room, a shared carrier /24), so a dealer is flagged when its share is far above the
rest of the network's (at least STAFF_NOISE), by the same one-sided binomial test.

Contradictions (`contradictions`, needing each answer's comment mood and the customer's
other behaviour): a high rating from a customer who, with the same dealer, complained, had a
case opened by a dissatisfied answer, or returned the car; and a rating the comment's clear
sentiment contradicts (sentiment.py). Each happens now and then honestly (a complaint resolved
well, sarcasm, a misread scale): a dealer is flagged when they are far more common than
BEHAVIOUR_NOISE / COMMENT_NOISE explain, by the same one-sided binomial test.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from dataclasses import dataclass, field, replace

from scipy.stats import binomtest, norm

from motormall.surveys.sentiment import mood

ALPHA = 0.001
MIN_RESPONSES = 10  # fewer answers say nothing either way
# The share of customers of an honest dealer who tick "offered something" by mistake
# (misreading the question, a manufacturer's promotion taken for the dealer's); a cautious
# guess, not measured: a dealer needs many more reports than this to be flagged.
INCENTIVE_NOISE = 0.01
MIN_DEALERS_FOR_SPREAD = 20  # fewer dealers with enough answers: the pooled share is used
# Leaving out the top and bottom 5 % of a normal spread keeps 62.3 % of its variance: the
# fit divides by this so the honest extremes are not taken for outliers.
TRIMMED_VARIANCE = 0.623
# Answered this soon after the survey was sent: most likely at the dealer's desk, on a phone
# the staff held out.
ON_THE_SPOT = dt.timedelta(minutes=2)
ON_THE_SPOT_MIN, ON_THE_SPOT_SHARE = 3, 0.2
# Cautious guesses, not measured: the share of an honest dealer's high ratings that come from a
# customer who complained or returned a car (and was won back), and of its comments that
# contradict the rating (sarcasm, a misread scale, the lexicon's mistakes).
BEHAVIOUR_NOISE = 0.05
COMMENT_NOISE = 0.02
CONTRADICTIONS_MIN = 3  # one or two odd answers are anecdotes
# A cautious floor for honest answers from the dealer's staff networks or devices (the
# waiting room's Wi-Fi, a carrier's shared /24): the network's own share is used when higher.
STAFF_NOISE = 0.02
EXAMPLES = 5


@dataclass(frozen=True)
class Answer:
    csat: int
    nps: int
    incentive_offered: bool
    seconds_after_sent: float
    ref: str = ""  # the survey's public reference (never its token)
    about: str = ""
    comment: str = ""
    # what else this customer did with the dealer: "complaint", "case", "return"
    customer_behaviour: tuple[str, ...] = ()
    # the dealer's staff origins this answer came from: "network:<hash>", "device:<hash>"
    from_staff: tuple[str, ...] = ()
    # the comment's mood when already read (sentiment.mood; "neutral" for unclear); "" unread
    mood: str = ""

    @property
    def high(self) -> bool:
        return self.csat >= 4 or self.nps >= 9

    @property
    def low(self) -> bool:
        return self.csat <= 2

    @property
    def perfect(self) -> bool:
        return self.csat == 5 and self.nps == 10

    @property
    def unhappy(self) -> bool:
        return self.csat <= 3 or self.nps <= 6

    @property
    def on_the_spot(self) -> bool:
        return self.seconds_after_sent < ON_THE_SPOT.total_seconds()

    @property
    def suspect(self) -> bool:
        """Left out of "CSAT without flagged answers"."""
        return self.incentive_offered or self.on_the_spot or bool(self.from_staff)


@dataclass
class Report:
    responses: int
    csat: float | None
    csat_without_flagged: float | None
    flags: list[dict] = field(default_factory=list)


def _mean(values) -> float | None:
    values = list(values)
    return round(sum(values) / len(values), 2) if values else None


def _logit(k: float, n: float) -> float:
    p = (k + 0.5) / (n + 1)
    return math.log(p / (1 - p))


def _logit_var(k: float, n: float) -> float:
    p = (k + 0.5) / (n + 1)
    return 1 / ((n + 1) * p * (1 - p))


@dataclass(frozen=True)
class NetworkFit:
    """log-odds(perfect) = intercept + slope * log-odds(unhappy), and the dealers' spread."""

    intercept: float
    slope: float
    spread: float  # variance around the line between dealers, sampling noise taken out

    def expected(self, unhappy: int, n: int) -> float:
        return self.intercept + self.slope * _logit(unhappy, n)


def fit_network(counts: list[tuple[int, int, int]]) -> NetworkFit | None:
    """The line from (perfect, unhappy, responses) per dealer, least squares over the middle
    90 % of dealers by residual (a few gaming dealers do not bend it). None when there are too
    few dealers to say."""
    rows = [(_logit(u, n), _logit(k, n), k, u, n) for k, u, n in counts if n >= MIN_RESPONSES]
    if len(rows) < MIN_DEALERS_FOR_SPREAD:
        return None

    def line(points):
        mx = statistics.fmean(x for x, *_ in points)
        my = statistics.fmean(y for _, y, *_ in points)
        sxx = sum((x - mx) ** 2 for x, *_ in points) or 1e-9
        slope = sum((x - mx) * (y - my) for x, y, *_ in points) / sxx
        return my - slope * mx, slope

    intercept, slope = line(rows)
    ranked = sorted(rows, key=lambda r: r[1] - intercept - slope * r[0])
    cut = len(ranked) // 20
    middle = ranked[cut : len(ranked) - cut]
    intercept, slope = line(middle)
    residual = statistics.fmean((y - intercept - slope * x) ** 2 for x, y, *_ in middle)
    noise = statistics.fmean(
        _logit_var(k, n) + slope**2 * _logit_var(u, n) for _, _, k, u, n in middle
    )
    return NetworkFit(intercept, slope, max(residual / TRIMMED_VARIANCE - noise, 0.01))


def _one_sided(k: int, n: int, p0: float) -> float:
    return float(binomtest(k, n, p0, alternative="greater").pvalue)


@dataclass(frozen=True)
class Tally:
    """A dealer's answers counted: what the signals need, so a caller that counts in SQL
    (the carmaker's league table) gets the same verdicts as one holding every answer."""

    responses: int
    perfect: int
    incentives: int
    on_the_spot: int
    unhappy: int = 0
    from_staff: int = 0


def tally(answers: list[Answer]) -> Tally:
    return Tally(
        responses=len(answers),
        perfect=sum(a.perfect for a in answers),
        incentives=sum(bool(a.incentive_offered) for a in answers),
        on_the_spot=sum(a.on_the_spot for a in answers),
        unhappy=sum(a.unhappy for a in answers),
        from_staff=sum(bool(a.from_staff) for a in answers),
    )


def assess(
    answers: list[Answer],
    *,
    network_perfect: int,
    network_responses: int,
    fit: NetworkFit | None = None,
    network_from_staff: int = 0,
) -> Report:
    """The dealer's CSAT with and without suspect answers, and every signal that fires.
    `network_*` count the rest of the network's answers (the dealer's own excluded);
    `fit` is `fit_network` of the network's dealers, when there are enough of them."""
    clean = [a for a in answers if not a.suspect]
    counted = flags(
        replace(tally(answers), from_staff=0),  # answer_flags gives it, with its matches
        network_perfect=network_perfect,
        network_responses=network_responses,
        fit=fit,
    )
    return Report(
        responses=len(answers),
        csat=_mean(a.csat for a in answers),
        csat_without_flagged=_mean(a.csat for a in clean),
        flags=counted
        + answer_flags(
            answers, network_from_staff=network_from_staff, network_responses=network_responses
        ),
    )


def answer_flags(
    answers: list[Answer], *, network_from_staff: int, network_responses: int
) -> list[dict]:
    """The signals that need each answer, not only counts: answers from the dealer's own
    origins (with which ones matched) and ratings contradicted by behaviour or comments."""
    found = []
    staff = Tally(len(answers), 0, 0, 0, from_staff=sum(bool(a.from_staff) for a in answers))
    if (origin := _from_dealer_origin(staff, network_from_staff, network_responses)) is not None:
        origin["evidence"].update(staff_matches(answers))
        found.append(origin)
    return found + contradictions(answers)


def staff_matches(answers: list[Answer]) -> dict:
    """Which staff networks and devices the answers came from (hashes cut to 12 digits),
    with how many answers each, and a few examples."""
    matched = [a for a in answers if a.from_staff]
    out: dict = {"from_network": 0, "from_device": 0, "networks": {}, "devices": {}}
    for a in matched:
        for origin in a.from_staff:
            kind, _, value = origin.partition(":")
            out[f"from_{kind}"] += 1
            bucket = out["networks" if kind == "network" else "devices"]
            bucket[value[:12]] = bucket.get(value[:12], 0) + 1
    out["examples"] = [a.ref for a in matched[:EXAMPLES]]
    return out


def _significant(k: int, n: int, noise: float) -> float | None:
    """The p-value when k of n is far above `noise` (and at least CONTRADICTIONS_MIN)."""
    if k < CONTRADICTIONS_MIN:
        return None
    pvalue = _one_sided(k, n, noise)
    return pvalue if pvalue < ALPHA else None


def contradictions(answers: list[Answer]) -> list[dict]:
    """Ratings that the customer's other behaviour or the comment's sentiment contradicts."""
    found: list[dict] = []
    # a good answer about a closed case is what a resolved case should bring: not counted
    high = [a for a in answers if a.high and a.about != "case"]
    odd = [a for a in high if a.customer_behaviour]
    if (pvalue := _significant(len(odd), len(high), BEHAVIOUR_NOISE)) is not None:
        found.append(
            {
                "code": "ratings_contradict_behaviour",
                "evidence": {
                    "answers": len(odd),
                    "high_ratings": len(high),
                    "share": round(len(odd) / len(high), 3),
                    "noise_share": BEHAVIOUR_NOISE,
                    "p_value": float(f"{pvalue:.3g}"),
                    **{
                        f"after_{b}": sum(b in a.customer_behaviour for a in odd)
                        for b in ("complaint", "case", "return")
                    },
                    "examples": [a.ref for a in odd[:EXAMPLES]],
                },
            }
        )
    commented = [(a, a.mood or mood(a.comment)) for a in answers if a.comment.strip()]
    praised_low = [a for a, m in commented if a.low and m == "positive"]
    panned_high = [a for a, m in commented if a.high and m == "negative"]
    odd = panned_high + praised_low
    if (pvalue := _significant(len(odd), len(commented), COMMENT_NOISE)) is not None:
        found.append(
            {
                "code": "ratings_contradict_comments",
                "evidence": {
                    "answers": len(odd),
                    "high_rating_negative_comment": len(panned_high),
                    "low_rating_positive_comment": len(praised_low),
                    "comments": len(commented),
                    "share": round(len(odd) / len(commented), 3),
                    "noise_share": COMMENT_NOISE,
                    "p_value": float(f"{pvalue:.3g}"),
                    "examples": [a.ref for a in odd[:EXAMPLES]],
                },
            }
        )
    return found


def _from_dealer_origin(t: Tally, network_from_staff: int, network_responses: int) -> dict | None:
    """Answers from the dealer's staff networks or devices far above the network's share."""
    staff_share = STAFF_NOISE
    if network_responses:
        staff_share = max(network_from_staff / network_responses, STAFF_NOISE)
    if (pvalue := _significant(t.from_staff, t.responses, staff_share)) is None:
        return None
    return {
        "code": "answered_from_dealer_origin",
        "evidence": {
            "answers": t.from_staff,
            "share": round(t.from_staff / t.responses, 3),
            "network_share": round(staff_share, 3),
            "p_value": float(f"{pvalue:.3g}"),
        },
    }


def flags(
    t: Tally,
    *,
    network_perfect: int,
    network_responses: int,
    fit: NetworkFit | None = None,
    network_from_staff: int = 0,
) -> list[dict]:
    """Every gaming signal that fires for these counts, with its evidence."""
    found: list[dict] = []
    if not t.responses:
        return found
    p_incentive = _one_sided(t.incentives, t.responses, INCENTIVE_NOISE) if t.incentives else 1
    if t.incentives and p_incentive < ALPHA:
        found.append(
            {
                "code": "incentives_reported",
                "evidence": {
                    "answers": t.incentives,
                    "share": round(t.incentives / t.responses, 3),
                    "noise_share": INCENTIVE_NOISE,
                    "p_value": float(f"{p_incentive:.3g}"),
                },
            }
        )
    if t.responses >= MIN_RESPONSES and network_responses:
        p0 = network_perfect / network_responses
        evidence = {}
        if fit is not None:
            n = t.responses
            expected = fit.expected(t.unhappy, n)
            sd = math.sqrt(
                fit.spread + _logit_var(t.perfect, n) + fit.slope**2 * _logit_var(t.unhappy, n)
            )
            pvalue = float(norm.sf((_logit(t.perfect, n) - expected) / sd))
            test_name = "one-sided, against the share the dealer's unhappy answers predict"
            evidence = {
                "unhappy_share": round(t.unhappy / n, 3),
                "expected_share": round(1 / (1 + math.exp(-expected)), 3),
            }
        else:
            pvalue = _one_sided(t.perfect, t.responses, p0)
            test_name = "one-sided exact binomial"
        if pvalue < ALPHA:
            found.append(
                {
                    "code": "perfect_scores_above_network",
                    "evidence": {
                        "perfect": t.perfect,
                        "responses": t.responses,
                        "share": round(t.perfect / t.responses, 3),
                        "network_share": round(p0, 3),
                        "p_value": float(f"{pvalue:.3g}"),
                        "test": test_name,
                        **evidence,
                    },
                }
            )
    if (origin := _from_dealer_origin(t, network_from_staff, network_responses)) is not None:
        found.append(origin)
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
