"""GitHub's secondary rate limits as rules a test or benchmark switches on (all off by
default).

GitHub documents them ("Rate limits for the REST API", about secondary rate limits): no
more than 100 concurrent requests, 900 points per minute on REST endpoints (GET, HEAD and
OPTIONS cost 1 point, POST, PATCH, PUT and DELETE 5), and in general no more than 80
content-generating requests a minute and 500 an hour. Past one it answers 403 (or 429) with
a "You have exceeded a secondary rate limit" message, which clients such as PyGithub and
aodfix's gateway recognise, and a ``Retry-After`` in seconds.

The emulator counts each token separately (anonymous callers share one budget) in sliding
windows whose lengths are settable, so that a benchmark can scale an hour down to a minute.
Content-creating requests are REST writes (POST, PATCH, PUT, DELETE) and GraphQL mutations;
git pushes are not. Simplifications: points are counted per token across every endpoint
(GitHub counts "to a single endpoint"), and a GraphQL call costs 1 point as a query or 5 as
a mutation, not GitHub's separate 2,000-point GraphQL budget. A refused request is not
counted and has no effect, as on GitHub, which does not perform it.
"""

from __future__ import annotations

import bisect
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal, get_args

from aodfix.emulator.github import shapes
from aodfix.emulator.github.faults import (
    CONTENT_CREATION_LIMIT_MESSAGE,
    SECONDARY_RATE_LIMIT_DOCS,
    SECONDARY_RATE_LIMIT_MESSAGE,
)

Rule = Literal["content_per_minute", "content_per_hour", "points_per_minute", "concurrent"]
RULES: tuple[Rule, ...] = get_args(Rule)
READ_POINTS = 1  # a REST GET/HEAD/OPTIONS, or a GraphQL query
WRITE_POINTS = 5  # a REST POST/PATCH/PUT/DELETE, or a GraphQL mutation
CONCURRENT_RETRY_AFTER = 1  # GitHub gives no figure; a slot frees as soon as a call ends


@dataclass(frozen=True)
class SecondaryLimits:
    """Which secondary limits apply (None: that rule is off) and how long their windows are.

    ``minute_seconds`` and ``hour_seconds`` are the lengths of the "minute" and "hour"
    windows; ``status`` is the refusal's HTTP status (GitHub answers 403 or 429).
    """

    content_per_minute: int | None = None
    content_per_hour: int | None = None
    points_per_minute: int | None = None
    concurrent: int | None = None
    minute_seconds: float = 60.0
    hour_seconds: float = 3600.0
    status: Literal[403, 429] = 403

    def __post_init__(self) -> None:
        for name in ("content_per_minute", "content_per_hour", "concurrent"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1 (None switches it off)")
        if self.points_per_minute is not None and self.points_per_minute < WRITE_POINTS:
            raise ValueError(f"points_per_minute must be at least {WRITE_POINTS} (one write)")
        if self.minute_seconds <= 0 or self.hour_seconds <= 0:
            raise ValueError("window lengths must be positive")
        if self.status not in (403, 429):
            raise ValueError("GitHub answers a secondary rate limit with 403 or 429")

    @classmethod
    def github(
        cls,
        *,
        minute_seconds: float = 60.0,
        hour_seconds: float = 3600.0,
        status: Literal[403, 429] = 403,
    ) -> SecondaryLimits:
        """GitHub's documented figures: 80 writes a minute, 500 an hour, 900 points a
        minute, 100 concurrent requests."""
        return cls(80, 500, 900, 100, minute_seconds, hour_seconds, status)

    @property
    def enabled(self) -> bool:
        return any(getattr(self, rule) is not None for rule in RULES)


@dataclass(frozen=True)
class SecondaryLimitStats:
    """What the rules saw since they were last configured, over every token.

    ``content_times``: ``time.monotonic()`` of each accepted content-creating request, oldest
    first. ``peak``: the most any one token had in a window at once (accepted requests
    counted in the configured windows, also for a rule that is off). ``refused``: refusals
    by the rule that refused.
    """

    content_times: tuple[float, ...]
    peak: Mapping[Rule, int]
    refused: Mapping[Rule, int]

    @property
    def content_accepted(self) -> int:
        return len(self.content_times)

    @property
    def refused_total(self) -> int:
        return sum(self.refused.values())


@dataclass(frozen=True)
class Refusal:
    """A request one rule refused: GitHub's answer to it."""

    rule: Rule
    retry_after: int  # whole seconds, at least one
    status: int

    @property
    def message(self) -> str:
        content = self.rule in ("content_per_minute", "content_per_hour")
        return CONTENT_CREATION_LIMIT_MESSAGE if content else SECONDARY_RATE_LIMIT_MESSAGE

    def body(self) -> shapes.Json:
        return shapes.error(self.message, self.status, docs=SECONDARY_RATE_LIMIT_DOCS)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


@dataclass
class _TokenWindows:
    content: list[float] = field(default_factory=list)  # accepted content times, ascending
    points: deque[tuple[float, int]] = field(default_factory=deque)
    points_total: int = 0


class SecondaryRate:
    """The rules of one emulator, each token's windows, and the counters tests read."""

    def __init__(
        self, limits: SecondaryLimits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self.limits = limits or SecondaryLimits()
        self._tokens: dict[str | None, _TokenWindows] = {}
        self._in_flight: dict[str | None, int] = {}
        self._content_times: list[float] = []
        self._peak = dict.fromkeys(RULES, 0)
        self._refused = dict.fromkeys(RULES, 0)

    def configure(self, limits: SecondaryLimits) -> None:
        """New rules; every window and counter starts afresh (calls in flight stay counted)."""
        with self._lock:
            self.limits = limits
            self._tokens.clear()
            self._content_times.clear()
            self._peak = dict.fromkeys(RULES, 0)
            self._refused = dict.fromkeys(RULES, 0)

    @contextmanager
    def slot(self, token: str | None) -> Iterator[bool]:
        """Hold one of ``token``'s concurrent slots for the ``with`` block; yields False
        (holding none) when the concurrency rule has none left."""
        with self._lock:
            running = self._in_flight.get(token, 0)
            limit = self.limits.concurrent
            taken = limit is None or running < limit
            if taken:
                self._in_flight[token] = running + 1
                self._peak["concurrent"] = max(self._peak["concurrent"], running + 1)
        try:
            yield taken
        finally:
            if taken:
                with self._lock:
                    self._in_flight[token] -= 1

    def admit(self, token: str | None, *, write: bool, crowded: bool = False) -> Refusal | None:
        """Count one request of ``token`` (``write``: content-creating, 5 points) and return
        None, or refuse it (counting nothing) when a rule is spent; ``crowded``: it got no
        concurrent slot. When several rules are spent, the one that frees last refuses."""
        with self._lock:
            limits = self.limits
            if crowded:
                return self._refuse("concurrent", CONCURRENT_RETRY_AFTER)
            now = self._clock()
            windows = self._tokens.setdefault(token, _TokenWindows())
            self._expire(windows, now)
            cost = WRITE_POINTS if write else READ_POINTS
            waits: dict[Rule, float | None] = {
                "points_per_minute": _points_wait(
                    windows, now, cost, limits.minute_seconds, limits.points_per_minute
                ),
            }
            if write:
                waits["content_per_minute"] = _count_wait(
                    windows.content, now, limits.minute_seconds, limits.content_per_minute
                )
                waits["content_per_hour"] = _count_wait(
                    windows.content, now, limits.hour_seconds, limits.content_per_hour
                )
            spent = [(wait, rule) for rule, wait in waits.items() if wait is not None]
            if spent:
                wait, rule = max(spent)
                return self._refuse(rule, max(1, math.ceil(wait)))
            self._accept(windows, now, cost, write)
            return None

    def stats(self) -> SecondaryLimitStats:
        with self._lock:
            return SecondaryLimitStats(
                tuple(self._content_times), dict(self._peak), dict(self._refused)
            )

    def _refuse(self, rule: Rule, retry_after: int) -> Refusal:
        self._refused[rule] += 1
        return Refusal(rule, retry_after, self.limits.status)

    def _accept(self, windows: _TokenWindows, now: float, cost: int, write: bool) -> None:
        limits = self.limits
        windows.points.append((now, cost))
        windows.points_total += cost
        peak = self._peak
        peak["points_per_minute"] = max(peak["points_per_minute"], windows.points_total)
        if write:
            windows.content.append(now)
            self._content_times.append(now)
            minute = _in_window(windows.content, now, limits.minute_seconds)
            hour = _in_window(windows.content, now, limits.hour_seconds)
            peak["content_per_minute"] = max(peak["content_per_minute"], minute)
            peak["content_per_hour"] = max(peak["content_per_hour"], hour)

    def _expire(self, windows: _TokenWindows, now: float) -> None:
        limits = self.limits
        while windows.points and windows.points[0][0] + limits.minute_seconds <= now:
            windows.points_total -= windows.points.popleft()[1]
        longest = max(limits.minute_seconds, limits.hour_seconds)
        del windows.content[: bisect.bisect_right(windows.content, now - longest)]


def _in_window(times: list[float], now: float, length: float) -> int:
    """How many of ``times`` (ascending) are inside a window of ``length`` ending now."""
    return len(times) - bisect.bisect_right(times, now - length)


def _count_wait(times: list[float], now: float, length: float, limit: int | None) -> float | None:
    """Seconds until a window of ``length`` holding ``times`` has room for one more (None:
    it has room now, or the rule is off): until the oldest that must leave has left."""
    inside = _in_window(times, now, length)
    if limit is None or inside < limit:
        return None
    return times[len(times) - limit] + length - now


def _points_wait(
    windows: _TokenWindows, now: float, cost: int, length: float, limit: int | None
) -> float | None:
    """Seconds until enough of the oldest points have left the minute (``length``) for
    ``cost`` more (None: they fit now, or the rule is off)."""
    if limit is None or windows.points_total + cost <= limit:
        return None
    total = windows.points_total
    for at, points in windows.points:
        total -= points
        if total + cost <= limit:
            return at + length - now
    return length  # pragma: no cover - limit >= WRITE_POINTS: an empty window has room
