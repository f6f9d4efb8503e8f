"""Faults a test can inject: what a real deployment does on a bad day.

Callers arm them from the test's thread while the server's loop consumes them, hence the
lock. Each ``take_*`` consumes one armed fault.
"""

from __future__ import annotations

import threading


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._server_errors: list[int] = []
        self._rate_limits = 0
        self._stream_delay = 0.0
        self._drop_after: int | None = None

    def server_error_on_create(self, count: int, status: int = 503) -> None:
        """The next ``count`` ``POST /sessions`` answer ``status`` (a 5xx, as a proxy would)."""
        with self._lock:
            self._server_errors.extend([status] * count)

    def rate_limit_storm(self, count: int) -> None:
        """The next ``count`` ``POST /sessions`` answer 429, whatever the active count."""
        with self._lock:
            self._rate_limits += count

    def slow_stream(self, delay_per_event: float) -> None:
        """Every stream waits ``delay_per_event`` seconds before each event (0 turns it off)."""
        with self._lock:
            self._stream_delay = delay_per_event

    def drop_stream_after(self, n_events: int) -> None:
        """The next stream connection is cut after ``n_events`` events (``start`` included)."""
        with self._lock:
            self._drop_after = n_events

    def take_server_error(self) -> int | None:
        with self._lock:
            return self._server_errors.pop(0) if self._server_errors else None

    def take_rate_limit(self) -> bool:
        with self._lock:
            if self._rate_limits <= 0:
                return False
            self._rate_limits -= 1
            return True

    def take_stream_drop(self) -> int | None:
        with self._lock:
            drop, self._drop_after = self._drop_after, None
            return drop

    @property
    def stream_delay(self) -> float:
        with self._lock:
            return self._stream_delay
