"""The rate-limit windows reported in every REST response's ``X-RateLimit-*`` headers.

aodfix reads these headers to pace itself, so the emulator counts calls as GitHub does: the
``core`` window (5,000 per hour, one for the whole emulator), the ``graphql`` one (counted
per call rather than in GitHub's query points), and, per token, the ``search`` and
``code_search`` windows (30 and 10 per minute), which refuse calls once spent.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Literal

WINDOW_SECONDS = 3600
RateResource = Literal["core", "search", "code_search", "graphql"]
SearchResource = Literal["search", "code_search"]


@dataclass(frozen=True)
class RateSnapshot:
    limit: int
    used: int
    reset: int
    resource: RateResource = "core"

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
            "X-RateLimit-Used": str(self.used),
            "X-RateLimit-Resource": self.resource,
        }

    def json(self) -> dict[str, int]:
        """The window as ``GET /rate_limit`` reports it."""
        return {
            "limit": self.limit,
            "used": self.used,
            "remaining": self.remaining,
            "reset": self.reset,
        }


class RateWindow:
    """One fixed window: ``limit`` calls, counted from the first call until ``window`` later."""

    def __init__(
        self, limit: int = 5000, window: float = WINDOW_SECONDS, resource: RateResource = "core"
    ) -> None:
        self._lock = threading.Lock()
        self.limit = limit
        self.window = window
        self.resource: RateResource = resource
        self._used = 0
        self._reset = time.time() + window

    def count(self, cost: int = 1) -> RateSnapshot:
        """Record a call (``cost=0`` for calls GitHub does not count) and report the window."""
        with self._lock:
            self._roll()
            self._used += cost
            return self._snapshot()

    def take(self) -> tuple[RateSnapshot, bool]:
        """Spend one call if the window has one left; False (nothing spent) once it is empty."""
        with self._lock:
            self._roll()
            allowed = self._used < self.limit
            if allowed:
                self._used += 1
            return self._snapshot(), allowed

    def _roll(self) -> None:
        now = time.time()
        if now >= self._reset:
            self._used = 0
            self._reset = now + self.window

    def _snapshot(self) -> RateSnapshot:
        return RateSnapshot(self.limit, self._used, math.ceil(self._reset), self.resource)


@dataclass(frozen=True)
class SearchLimits:
    """Per-token search budgets; lower them (or the window) to reach the limit in a test."""

    search: int = 30
    code_search: int = 10
    anonymous_search: int = 10  # GitHub's budget for unauthenticated search calls
    window_seconds: float = 60.0


class SearchRate:
    """The ``search`` and ``code_search`` windows of every token (keyed by its log label)."""

    def __init__(self, limits: SearchLimits | None = None) -> None:
        self._lock = threading.Lock()
        self.limits = limits or SearchLimits()
        self._windows: dict[tuple[SearchResource, str | None], RateWindow] = {}

    def configure(self, limits: SearchLimits) -> None:
        """New limits; every window starts afresh."""
        with self._lock:
            self.limits = limits
            self._windows.clear()

    def window(self, resource: SearchResource, token: str | None) -> RateWindow:
        """The window of ``token`` (a token's label; None: anonymous callers, shared)."""
        with self._lock:
            key = (resource, token)
            if key not in self._windows:
                limits = self.limits
                limit = limits.search if resource == "search" else limits.code_search
                if token is None and resource == "search":
                    limit = min(limit, limits.anonymous_search)
                self._windows[key] = RateWindow(limit, limits.window_seconds, resource)
            return self._windows[key]


def retry_after(snapshot: RateSnapshot) -> int:
    """Whole seconds until ``snapshot``'s window resets (at least one)."""
    return max(1, math.ceil(snapshot.reset - time.time()))
