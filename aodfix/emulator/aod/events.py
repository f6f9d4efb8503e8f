"""A session's log rows: what the service stores and its stream replays.

The service writes ``stage`` and ``output`` rows into one table and the SSE endpoint tails
it, so every row has an id from one global, strictly increasing sequence (not contiguous
within a session) and everything is replayable. Terminal events are not rows: streams
make them up when they see a finished session (reference §5.5) — unless the emulator is
told to store them (``terminal_events="stored"``), as another server might.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

RowKind = Literal["stage", "output", "exit", "error"]
TERMINAL_ROWS: frozenset[str] = frozenset({"exit", "error"})


@dataclass(frozen=True)
class Row:
    id: int
    kind: RowKind
    payload: dict[str, Any]
    turn: int | None  # output rows belong to a turn; stage rows never do


class EventLog:
    """One session's rows, plus a wake-up for the streams tailing them."""

    def __init__(self, next_id: Callable[[], int]) -> None:
        self._next_id = next_id
        self._rows: list[Row] = []
        self._ids: list[int] = []
        self._changed = asyncio.Event()

    def append(self, kind: RowKind, payload: dict[str, Any], turn: int | None = None) -> Row:
        row = Row(self._next_id(), kind, payload, turn)
        self._rows.append(row)
        self._ids.append(row.id)
        self.notify()
        return row

    def stage(self, stage: str, state: str, **details: Any) -> Row:
        return self.append("stage", {"stage": stage, "state": state, **details})

    def output(self, stream: str, data: str, turn: int) -> Row:
        return self.append("output", {"stream": stream, "data": data, "turn": turn}, turn)

    def after(self, last_id: int, limit: int) -> list[Row]:
        """Up to ``limit`` rows with an id above ``last_id`` (the cursor is exclusive)."""
        start = bisect.bisect_right(self._ids, last_id)
        return self._rows[start : start + limit]

    def waiter(self) -> asyncio.Event:
        """An event set by the next change; take it before reading, then wait on it."""
        return self._changed

    def notify(self) -> None:
        """Wake every stream: a row arrived or the session's status changed."""
        self._changed.set()
        self._changed = asyncio.Event()
