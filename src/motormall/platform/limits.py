"""Per-address request budgets for the expensive endpoints anyone may call (photo search,
registration): a fixed window counter per (rule, address), kept in the process's memory.

Each server process counts on its own, so with N workers an address gets up to N times the
budget; that is enough to stop one client from monopolising the model or mass-registering,
which is what the limits are for (abuse, not billing)."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    name: str
    limit: int  # requests per window and address
    window_s: int


class AddressLimiter:
    """`hit(rule, address)` → 0 when the request may go ahead, else seconds until it may."""

    MAX_KEYS = 100_000  # past this, counters whose window has ended are dropped

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], tuple[float, int]] = {}  # key → (window end, n)

    def hit(self, rule: Rule, address: str) -> int:
        now = self._clock()
        key = (rule.name, address)
        with self._lock:
            if len(self._counts) > self.MAX_KEYS:
                self._counts = {k: v for k, v in self._counts.items() if v[0] > now}
            ends, count = self._counts.get(key, (0.0, 0))
            if ends <= now:
                ends, count = now + rule.window_s, 0
            if count >= rule.limit:
                return max(1, math.ceil(ends - now))
            self._counts[key] = (ends, count + 1)
            return 0
