"""Failures a test arms on purpose: the next N REST calls answer with an error.

They reproduce GitHub's answers exactly (status, headers, message) because PyGithub picks
its behaviour from them: a 403 whose message starts "You have exceeded a secondary rate
limit" is retried after ``Retry-After``, a 5xx is retried by urllib3, and so on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

SECONDARY_RATE_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try "
    "again. If you reach out to GitHub Support for help, please include the request ID "
    "EMULATOR:0000."
)
CONTENT_CREATION_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit and have been temporarily blocked from content "
    "creation. Please retry your request again later. If you reach out to GitHub Support for "
    "help, please include the request ID EMULATOR:0000."
)
PRIMARY_RATE_LIMIT_MESSAGE = (
    "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, "
    "please include the request ID EMULATOR:0000."
)
RATE_LIMIT_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
SECONDARY_RATE_LIMIT_DOCS = f"{RATE_LIMIT_DOCS}#about-secondary-rate-limits"
_SERVER_ERROR_MESSAGES = {
    500: "Server Error",
    502: "Server Error",
    503: "Service Unavailable",
    504: "We couldn't respond to your request in time. Sorry about that.",
}


@dataclass(frozen=True)
class Fault:
    """One canned error answer, optionally limited to some HTTP methods."""

    status: int
    message: str
    documentation_url: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    methods: frozenset[str] | None = None

    def applies_to(self, method: str) -> bool:
        return self.methods is None or method.upper() in self.methods


@dataclass
class _Armed:
    fault: Fault
    remaining: int


class Faults:
    """Queue of armed faults; each REST call consumes the first one that applies to it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: list[_Armed] = []

    def secondary_rate_limit(
        self, count: int = 1, retry_after: int | None = 1, *, methods: Iterable[str] | None = None
    ) -> None:
        """Answer 403 "secondary rate limit"; ``retry_after=None`` omits ``Retry-After``."""
        headers = () if retry_after is None else (("Retry-After", str(retry_after)),)
        self.add(
            Fault(
                403,
                SECONDARY_RATE_LIMIT_MESSAGE,
                SECONDARY_RATE_LIMIT_DOCS,
                headers,
                _methods(methods),
            ),
            count,
        )

    def primary_rate_limit(
        self, count: int = 1, reset_in: int = 1, *, methods: Iterable[str] | None = None
    ) -> None:
        """Answer 403 "API rate limit exceeded" with ``X-RateLimit-Remaining: 0``."""
        reset = str(int(time.time()) + reset_in)
        headers = (("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", reset))
        self.add(
            Fault(
                403,
                PRIMARY_RATE_LIMIT_MESSAGE,
                f"{RATE_LIMIT_DOCS}#about-primary-rate-limits",
                headers,
                _methods(methods),
            ),
            count,
        )

    def server_error(
        self, count: int = 1, status: int = 502, *, methods: Iterable[str] | None = None
    ) -> None:
        message = _SERVER_ERROR_MESSAGES.get(status, "Server Error")
        self.add(Fault(status, message, None, (), _methods(methods)), count)

    def add(self, fault: Fault, count: int = 1) -> None:
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._armed.append(_Armed(fault, count))

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    @property
    def pending(self) -> int:
        """How many calls will still be answered with a fault."""
        with self._lock:
            return sum(armed.remaining for armed in self._armed)

    def take(self, method: str) -> Fault | None:
        """The fault for this call, if one is armed for it (consumes one use)."""
        with self._lock:
            for armed in self._armed:
                if armed.fault.applies_to(method):
                    armed.remaining -= 1
                    if armed.remaining == 0:
                        self._armed.remove(armed)
                    return armed.fault
        return None


def _methods(methods: Iterable[str] | None) -> frozenset[str] | None:
    return None if methods is None else frozenset(m.upper() for m in methods)
