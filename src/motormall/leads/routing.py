"""The routing rule: which dealer gets a lead. Plain Python: no database, no clock.

Eligible dealers sell the brand within the radius and have capacity left today. Each gets a
score from its distance, matching stock, remaining capacity, recent responsiveness and a
fairness term (dealers that received fewer leads than their capacity share recently are
lifted), all weighted by the carmaker's policy. Ties go to the nearer dealer, then the lower
code. When nobody nearby has capacity the radius widens; when still nobody does, the best
dealer in reach takes it over capacity; when no dealer is in reach at all, the nearest one
takes it. A lead is never left unassigned, and every decision keeps its candidates.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Policy:
    radius_km: float = 50.0
    widen_to_km: tuple[float, ...] = (100.0, 300.0)
    w_distance: float = 1.0
    w_stock: float = 0.6
    w_capacity: float = 0.5
    w_response: float = 0.6
    w_fairness: float = 0.8
    dedupe_hours: int = 72
    sla_minutes: int = 60
    fairness_days: int = 7
    performance_days: int = 30

    @classmethod
    def from_dict(cls, data: dict) -> Policy:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if "widen_to_km" in known:
            known["widen_to_km"] = tuple(float(x) for x in known["widen_to_km"])
        return cls(**known)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["widen_to_km"] = list(self.widen_to_km)
        return data


@dataclass
class Candidate:
    dealer_id: int
    code: str
    distance_km: float
    has_stock: bool
    capacity: int  # leads per day
    assigned_today: int
    response_rate: float  # share of recent leads contacted within the SLA, 0..1
    recent_leads: int  # leads received over the fairness window
    score: float = 0.0
    parts: dict = field(default_factory=dict)

    @property
    def remaining(self) -> int:
        return self.capacity - self.assigned_today


@dataclass
class Decision:
    dealer_id: int
    code: str
    radius_km: float
    flags: list[str]
    candidates: list[dict]


def score(c: Candidate, policy: Policy, radius_km: float, fairness_days: int) -> float:
    expected = max(c.capacity, 1) * fairness_days  # what a dealer of this size could absorb
    parts = {
        "distance": policy.w_distance * max(0.0, 1 - c.distance_km / max(radius_km, 1e-9)),
        "stock": policy.w_stock * (1.0 if c.has_stock else 0.0),
        "capacity": policy.w_capacity * max(0.0, c.remaining / max(c.capacity, 1)),
        "response": policy.w_response * c.response_rate,
        "fairness": policy.w_fairness * max(0.0, 1 - c.recent_leads / expected),
    }
    c.parts = {k: round(v, 4) for k, v in parts.items()}
    c.score = round(sum(parts.values()), 6)
    return c.score


def _best(cands: list[Candidate]) -> Candidate:
    return min(cands, key=lambda c: (-c.score, c.distance_km, c.code))


def route(
    candidates: list[Candidate], policy: Policy, *, exclude: frozenset[int] = frozenset()
) -> Decision | None:
    """Pick a dealer among `candidates` (every dealer selling the brand, any distance).
    None only when there is no candidate at all."""
    pool = [c for c in candidates if c.dealer_id not in exclude]
    if not pool:
        return None
    flags: list[str] = []
    radii = (policy.radius_km, *policy.widen_to_km)
    for n, radius in enumerate(radii):
        near = [c for c in pool if c.distance_km <= radius]
        for c in near:
            score(c, policy, radius, policy.fairness_days)
        open_ = [c for c in near if c.remaining > 0]
        if open_:
            if n:
                flags.append("radius_widened")
            return _decide(_best(open_), near, radius, flags)
    widest = radii[-1]
    near = [c for c in pool if c.distance_km <= widest]
    if near:
        return _decide(_best(near), near, widest, ["over_capacity"])
    nearest = min(pool, key=lambda c: (c.distance_km, c.code))
    score(nearest, policy, nearest.distance_km, policy.fairness_days)
    return _decide(nearest, [nearest], nearest.distance_km, ["outside_radius"])


def _decide(winner: Candidate, considered: list[Candidate], radius: float, flags) -> Decision:
    ranked = sorted(considered, key=lambda c: (-c.score, c.distance_km, c.code))
    return Decision(
        dealer_id=winner.dealer_id,
        code=winner.code,
        radius_km=radius,
        flags=flags,
        candidates=[
            {
                "dealer": c.code,
                "distance_km": round(c.distance_km, 2),
                "has_stock": c.has_stock,
                "remaining_today": c.remaining,
                "response_rate": round(c.response_rate, 3),
                "recent_leads": c.recent_leads,
                "score": c.score,
                "parts": c.parts,
            }
            for c in ranked[:10]
        ],
    )
