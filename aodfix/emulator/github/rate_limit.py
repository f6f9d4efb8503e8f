"""The primary rate-limit window reported in every REST response's ``X-RateLimit-*`` headers.

aodfix reads these headers to pace itself, so the emulator counts calls as GitHub does:
5,000 per hour, resetting an hour after the window opened.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

WINDOW_SECONDS = 3600


@dataclass(frozen=True)
class RateSnapshot:
    limit: int
    used: int
    reset: int

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
            "X-RateLimit-Used": str(self.used),
            "X-RateLimit-Resource": "core",
        }


class RateWindow:
    def __init__(self, limit: int = 5000) -> None:
        self._lock = threading.Lock()
        self.limit = limit
        self._used = 0
        self._reset = int(time.time()) + WINDOW_SECONDS

    def count(self, cost: int = 1) -> RateSnapshot:
        """Record a call (``cost=0`` for calls GitHub does not count) and report the window."""
        with self._lock:
            now = int(time.time())
            if now >= self._reset:
                self._used = 0
                self._reset = now + WINDOW_SECONDS
            self._used += cost
            return RateSnapshot(self.limit, self._used, self._reset)
