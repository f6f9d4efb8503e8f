"""What the emulator was asked, so tests can count REST writes and git pushes.

Only method, path, query, status and a label naming the token are kept: never headers, so
never a token itself.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


@dataclass(frozen=True)
class LoggedRequest:
    kind: Literal["rest", "git", "web", "graphql"]
    method: str
    path: str  # as requested: "/api/v3/repos/o/r/pulls", "/o/r.git/git-receive-pack", ...
    status: int
    query: str = ""
    token_label: str | None = None  # which token (or app JWT) made the call; None: anonymous

    @property
    def is_write(self) -> bool:
        """A REST call that changes something, or a GraphQL call (the emulator serves only
        mutations there)."""
        return (self.kind == "rest" and self.method in WRITE_METHODS) or self.kind == "graphql"

    @property
    def is_push(self) -> bool:
        return (
            self.kind == "git" and self.method == "POST" and self.path.endswith("/git-receive-pack")
        )


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []

    def add(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
