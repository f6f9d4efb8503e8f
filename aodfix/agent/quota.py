"""Quota-aware admission of AoD sessions.

The server caps a user's active sessions and answers 429 ``{limit, active}`` past it.
That is back-pressure, not failure: the gate lowers its in-flight target to what the
server allows, the caller retries after a jittered backoff, and the target creeps back
up as sessions finish, so the quota stays full without hammering the server.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable


class QuotaGate:
    """An adaptive semaphore: at most ``target`` sessions in flight, target <= ceiling."""

    def __init__(
        self,
        ceiling: int,
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        base_backoff: float = 0.25,
        max_backoff: float = 8.0,
    ) -> None:
        self.ceiling = ceiling
        self.target = ceiling
        self.in_flight = 0
        self._cond = asyncio.Condition()
        self._rng = rng or random.Random()
        self._clock = clock
        self._last_limited = float("-inf")
        self._base_backoff = base_backoff
        self._max_backoff = max_backoff

    async def acquire(self) -> None:
        async with self._cond:
            await self._cond.wait_for(lambda: self.in_flight < self.target)
            self.in_flight += 1

    async def release(self, *, finished: bool = True) -> None:
        """Give a slot back; a finished session lets the target probe one higher."""
        async with self._cond:
            self.in_flight -= 1
            quiet_for = self._clock() - self._last_limited
            if finished and self.target < self.ceiling and quiet_for > 2.0:
                self.target += 1
            self._cond.notify_all()

    def on_rate_limited(self, limit: int | None, active: int | None) -> None:
        """Record a 429 from a caller that holds a slot (and will release it to retry)."""
        self._last_limited = self._clock()
        ours = max(0, self.in_flight - 1)  # slots held by others of this batch
        if limit is not None and active is not None:
            others = max(0, active - ours)
            allowed = limit - others
        else:
            allowed = ours
        self.target = max(1, min(self.ceiling, allowed, max(ours, 1)))

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff for the ``attempt``-th retry (0-based)."""
        cap = min(self._max_backoff, self._base_backoff * (2**attempt))
        return self._rng.uniform(cap / 2, cap)
