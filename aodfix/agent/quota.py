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
from collections import deque
from collections.abc import Callable


class QuotaGate:
    """An adaptive semaphore: at most ``target`` sessions in flight, target <= ceiling.

    Waiters queue first in, first out, and a freed slot wakes exactly one of them: with
    hundreds waiting, waking all on every release (a condition's ``notify_all``) cost the
    event loop more than the hand-over itself at each wave of finishing sessions.
    """

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
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._rng = rng or random.Random()
        self._clock = clock
        self._last_limited = float("-inf")
        self._base_backoff = base_backoff
        self._max_backoff = max_backoff

    async def acquire(self) -> None:
        if not self._waiters and self.in_flight < self.target:
            self.in_flight += 1
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter  # a release counted the slot as ours before waking us
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # handed a slot too late: pass it on
                self.in_flight -= 1
                self._wake()
            elif waiter in self._waiters:  # (a release may have dropped it already)
                self._waiters.remove(waiter)
            raise

    async def release(self, *, finished: bool = True) -> None:
        """Give a slot back; a finished session lets the target probe one higher."""
        self.in_flight -= 1
        quiet_for = self._clock() - self._last_limited
        if finished and self.target < self.ceiling and quiet_for > 2.0:
            self.target += 1
        self._wake()

    def _wake(self) -> None:
        """Hand free slots to the longest waiting, one each."""
        while self._waiters and self.in_flight < self.target:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self.in_flight += 1
                waiter.set_result(None)

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
