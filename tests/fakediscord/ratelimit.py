"""Discord-style rate limits: per-route buckets with X-RateLimit-* headers, a global limit, injected 429s."""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RateLimitHit:
    """One 429 the fake sent."""

    method: str
    path: str
    scope: str  # "global", "user" (a route bucket) or "shared"
    retry_after: float
    injected: bool


@dataclass
class _Injection:
    remaining: int
    retry_after: float
    scope: str
    method: str | None
    path: re.Pattern[str] | None
    via: bool


@dataclass
class _Bucket:
    limit: int
    window: float
    remaining: int = 0
    resets_at: float = 0.0


@dataclass
class Decision:
    """Either headers to add to a normal answer, or a complete 429 answer."""

    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200
    body: Any = None


class RateLimiter:
    """Per-route buckets (limit per window, keyed by route and major parameter) and a global limit.

    The defaults are generous so that tests stay fast: a bot that honours the headers is never sent
    a 429 by a route bucket. Tighten them per test with ``set_route_limit`` or the attributes.
    """

    def __init__(
        self,
        *,
        route_limit: int = 50,
        route_window: float = 1.0,
        global_limit: int = 50,
        global_window: float = 1.0,
    ) -> None:
        self.enabled = True
        self.route_limit = route_limit
        self.route_window = route_window
        self.global_limit = global_limit
        self.global_window = global_window
        self.hits: list[RateLimitHit] = []
        self._overrides: list[tuple[str | None, re.Pattern[str], int, float]] = []
        self._buckets: dict[str, _Bucket] = {}
        self._global: deque[float] = deque()
        self._injections: list[_Injection] = []

    @property
    def count(self) -> int:
        """How many 429s the fake has sent."""
        return len(self.hits)

    def set_route_limit(self, method: str | None, path_regex: str, limit: int, window: float) -> None:
        """Give matching routes their own bucket size, e.g. ``("POST", r"/channels/\\d+/messages", 5, 5.0)``."""
        self._overrides.insert(0, (method, re.compile(path_regex), limit, window))
        self._buckets.clear()

    def inject(
        self,
        count: int = 1,
        *,
        retry_after: float = 0.01,
        is_global: bool = True,
        method: str | None = None,
        path: str | None = None,
        via: bool = True,
    ) -> None:
        """Answer the next ``count`` matching requests with 429.

        ``via=False`` leaves out the ``Via`` header and sends HTML, like a Cloudflare ban: discord.py
        then raises HTTPException instead of retrying.
        """
        scope = "global" if is_global else "user"
        pattern = re.compile(path) if path else None
        self._injections.append(_Injection(count, retry_after, scope, method, pattern, via))

    def check(self, method: str, path: str, route: str, major: str, *, global_exempt: bool) -> Decision:
        """Decide on one request: consume a token or answer 429."""
        now = time.monotonic()
        injected = self._take_injection(method, path)
        if injected is not None:
            return self._too_many(method, path, injected.scope, injected.retry_after, injected=True, via=injected.via)
        if not self.enabled:
            return Decision()
        if not global_exempt:
            while self._global and self._global[0] <= now - self.global_window:
                self._global.popleft()
            if len(self._global) >= self.global_limit:
                retry_after = self._global[0] + self.global_window - now
                return self._too_many(method, path, "global", retry_after)
        limit, window = self._limits_for(method, path)
        key = f"{method} {route} {major}"
        bucket = self._buckets.get(key)
        if bucket is None or now >= bucket.resets_at:
            bucket = self._buckets[key] = _Bucket(limit, window, limit, now + window)
        bucket_hash = hashlib.sha1(f"{method} {route}".encode(), usedforsecurity=False).hexdigest()[:16]
        reset_after = _ceil_ms(bucket.resets_at - now)
        if bucket.remaining <= 0:
            decision = self._too_many(method, path, "user", reset_after)
            decision.headers.update(self._headers(bucket, bucket_hash, reset_after))
            return decision
        bucket.remaining -= 1
        if not global_exempt:
            self._global.append(now)
        return Decision(headers=self._headers(bucket, bucket_hash, reset_after))

    def _take_injection(self, method: str, path: str) -> _Injection | None:
        for injection in self._injections:
            if injection.method not in (None, method):
                continue
            if injection.path is not None and not injection.path.fullmatch(path):
                continue
            injection.remaining -= 1
            if injection.remaining <= 0:
                self._injections.remove(injection)
            return injection
        return None

    def _limits_for(self, method: str, path: str) -> tuple[int, float]:
        for o_method, pattern, limit, window in self._overrides:
            if o_method in (None, method) and pattern.fullmatch(path):
                return limit, window
        return self.route_limit, self.route_window

    @staticmethod
    def _headers(bucket: _Bucket, bucket_hash: str, reset_after: float) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Remaining": str(max(bucket.remaining, 0)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket_hash,
        }

    def _too_many(
        self, method: str, path: str, scope: str, retry_after: float, *, injected: bool = False, via: bool = True
    ) -> Decision:
        retry_after = max(_ceil_ms(retry_after), 0.001)
        self.hits.append(RateLimitHit(method, path, scope, retry_after, injected))
        headers = {"Retry-After": str(math.ceil(retry_after)), "X-RateLimit-Scope": scope}
        if scope == "global":
            headers["X-RateLimit-Global"] = "true"
        if not via:
            headers["Content-Type"] = "text/html"
            return Decision(headers, 429, "<html><body>error code: 1015</body></html>")
        headers["Via"] = "1.1 google"
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": scope == "global"}
        return Decision(headers, 429, body)


def _ceil_ms(seconds: float) -> float:
    return math.ceil(seconds * 1000) / 1000
