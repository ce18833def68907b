"""Per-principal rate limits: token buckets in this process, one per (kind, subject).

Exceeding one raises ``RATE_LIMITED`` whose message says when to retry. Expensive work is
:meth:`RateLimiter.metered`: it costs its call and the time it took. Limits are per API
process; behind several processes the effective limit is their sum.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

from graph.core.errors import RateLimited


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimitExceeded(RateLimited):
    def __init__(self, kind: str, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(f"too many {kind} requests; retry after {self.retry_after} s",
                         details={"retryAfter": self.retry_after})


class RateLimiter:
    def __init__(self, limits: dict[str, tuple[int, float]], max_subjects: int = 100_000) -> None:
        """``limits``: kind -> (requests, per seconds)."""
        self.limits = limits
        self.max_subjects = max_subjects
        self._buckets: dict[tuple[str, str], _Bucket] = {}

    def charge(self, kind: str, subject: str, units: float) -> None:
        """Take ``units`` more from the bucket (it may go below zero: the next call waits)."""
        bucket = self._buckets.get((kind, subject))
        if kind in self.limits and bucket is not None and units > 0:
            bucket.tokens -= units

    @contextlib.contextmanager
    def metered(self, kind: str, subject: str, unit_seconds: float = 0.1) -> Iterator[None]:
        """A call that costs one token, and one more per ``unit_seconds`` it took: expensive
        work is limited by the time it uses, not only by how often it is asked for."""
        self.check(kind, subject)
        started = time.monotonic()
        try:
            yield
        finally:
            self.charge(kind, subject, (time.monotonic() - started) // unit_seconds)

    def check(self, kind: str, subject: str) -> None:
        if kind not in self.limits:
            return
        capacity, period = self.limits[kind]
        rate = capacity / period
        now = time.monotonic()
        bucket = self._buckets.get((kind, subject))
        if bucket is None:
            if len(self._buckets) >= self.max_subjects:
                self._buckets.clear()  # bounded memory; a reset only ever forgives
            bucket = self._buckets[(kind, subject)] = _Bucket(tokens=capacity, updated=now)
        bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens < 1:
            raise RateLimitExceeded(kind, (1 - bucket.tokens) / rate)
        bucket.tokens -= 1
