"""Marketing arithmetic, pure: the holdout's size and conversion uplift with its confidence
interval."""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054


def holdout_size(audience: int, pct: int) -> int:
    """Members kept back: `pct` % of the audience, rounded half up, at least one when any
    are asked for and the audience has two or more (else no uplift can be measured)."""
    if pct <= 0 or audience < 2:
        return 0
    return min(max((audience * pct + 50) // 100, 1), audience - 1)


@dataclass(frozen=True)
class Uplift:
    target_rate: float
    holdout_rate: float
    uplift: float  # target rate minus holdout rate, in absolute terms
    low: float
    high: float  # the 95 % interval for the uplift


def uplift(
    converted_target: int, target: int, converted_holdout: int, holdout: int
) -> Uplift | None:
    """Difference of two conversion rates with a 95 % Newcombe (hybrid Wilson score)
    interval: unlike the plain Wald interval it stays sensible for small groups and rates
    near 0, which a holdout of a few hundred members with a 2 % conversion is."""
    if target == 0 or holdout == 0:
        return None
    p1, p0 = converted_target / target, converted_holdout / holdout
    l1, u1 = _wilson(converted_target, target)
    l0, u0 = _wilson(converted_holdout, holdout)
    d = p1 - p0
    low = d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    return Uplift(p1, p0, d, low, high)


def _wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half
