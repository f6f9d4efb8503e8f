"""GitHub's content-creation limits, kept from aodfix's side so a batch never runs into them.

GitHub documents secondary limits per token: about 80 content-creating requests a minute
and 500 an hour (``AODFIX_GITHUB_CONTENT_LIMITS=80/60,500/3600``). Each write books the
earliest slot that keeps every window under its limit — counting the slots already
booked, so writes queue in the order they asked — and sleeps until it. A slot further
away than the batch may wait is not booked: the caller defers the repository instead.

Windows slide: at most ``limit`` slots lie in any ``seconds``-long span, whatever
alignment GitHub's own counters have. A small margin on each window absorbs the time
between booking a slot and GitHub seeing the request.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

ENV_CONTENT_LIMITS = "AODFIX_GITHUB_CONTENT_LIMITS"
DEFAULT_CONTENT_LIMITS = "80/60,500/3600"
MARGIN_SHARE = 0.05  # of a window's length, at most MARGIN_MAX seconds
MARGIN_MAX = 1.0


@dataclass(frozen=True)
class Window:
    """At most ``limit`` requests in any ``seconds``-long span."""

    limit: int
    seconds: float

    def __str__(self) -> str:
        return f"{self.limit}/{self.seconds:g}"


def parse_limits(text: str) -> tuple[Window, ...]:
    """``"80/60,500/3600"`` → two windows; ``"none"`` → no pacing. Raises ValueError with
    the value's fault in words."""
    if text.strip().lower() in ("none", "off"):
        return ()
    windows = []
    for part in text.split(","):
        limit, slash, seconds = part.strip().partition("/")
        try:
            window = Window(int(limit), float(seconds))
        except ValueError:
            window = Window(0, 0.0)
        if not slash or window.limit < 1 or not 0 < window.seconds < float("inf"):
            raise ValueError(
                f"{part.strip()!r} is not LIMIT/SECONDS (e.g. {DEFAULT_CONTENT_LIMITS}, or none)"
            )
        windows.append(window)
    return tuple(windows)


class ContentPacer:
    """Books write slots under every window and a minimum spacing; thread-safe."""

    def __init__(
        self,
        windows: Sequence[Window],
        *,
        interval: float = 0.0,
        clock: Callable[[], float],
    ) -> None:
        self.windows = tuple(windows)
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._booked = [deque[float]() for _ in self.windows]
        self._last = float("-inf")

    def book(self, *, horizon: float, count: int = 1) -> list[float]:
        """Clock times of ``count`` consecutive write slots, booked together (a PR's
        writes go out whole or not at all). Raises BudgetSpent, with nothing booked, when
        the last slot is more than ``horizon`` seconds away."""
        with self._lock:
            now = self._clock()
            spans = [w.seconds + min(MARGIN_MAX, MARGIN_SHARE * w.seconds) for w in self.windows]
            for span, booked in zip(spans, self._booked, strict=True):
                while booked and booked[0] <= now - span:
                    booked.popleft()
            slots: list[float] = []
            binding: Window | None = None
            last = self._last
            for _ in range(count):
                slot = max(now, last + self._interval)
                for window, span, booked in zip(self.windows, spans, self._booked, strict=True):
                    # the limit-th latest of the booked slots and this call's, in order
                    beyond = window.limit - len(slots)
                    if beyond > len(booked):
                        continue
                    oldest = slots[-window.limit] if beyond <= 0 else booked[-beyond]
                    if oldest + span > slot:
                        slot, binding = oldest + span, window
                slots.append(slot)
                last = slot
            if slots and slots[-1] - now > horizon:
                raise BudgetSpent(slots[-1] - now, binding)
            for booked in self._booked:
                booked.extend(slots)
            self._last = last
            return slots


class BudgetSpent(Exception):
    """The next write slot is further away than the caller may wait."""

    def __init__(self, wait: float, window: Window | None) -> None:
        self.wait = wait
        self.window = window
        limit = f"{window.limit} writes per {window.seconds:g} s" if window else "spacing"
        super().__init__(f"GitHub's content-creation limit ({limit}) is spent for {wait:.0f} s")
