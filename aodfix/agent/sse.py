"""Read one turn of an AoD session from its SSE stream, resuming across dropped connections.

The SDK 0.1.0 iterator raises on event types it does not know and never sends
``Last-Event-ID``; aodfix reads the same endpoint through the SDK's configured HTTP client
and parses the wire format itself (reference §5.3), so a new event type is skipped, not
fatal, and a dropped connection resumes after the last event id with nothing lost or
repeated.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from aod.errors import ServerError, raise_for_status

TERMINAL = frozenset({"exit", "error", "terminated", "stale"})
RETRYABLE = (httpx.TransportError, ServerError)


@dataclass
class TurnOutput:
    """What one turn printed and how it ended."""

    end: str  # exit | error | terminated | stale
    exit_code: int | None
    last_id: int
    stdout: str = ""
    stderr: str = ""
    reconnects: int = 0
    turn: int | None = None

    @property
    def succeeded(self) -> bool:
        return self.end == "exit" and self.exit_code == 0


async def _events(
    http: httpx.AsyncClient, session_id: str, since: int
) -> AsyncIterator[dict[str, Any]]:
    params = {"since": since} if since else {}
    headers = {"Accept": "text/event-stream"}
    if since:
        headers["Last-Event-ID"] = str(since)
    async with http.stream(
        "GET", f"/sessions/{session_id}/stream", params=params, headers=headers
    ) as response:
        if response.status_code >= 400:
            body = await response.aread()
            try:
                parsed: Any = json.loads(body) if body else None
            except ValueError:
                parsed = body.decode(errors="replace")
            raise_for_status(response.status_code, parsed, "GET", str(response.request.url))
        async for line in response.aiter_lines():
            if not line.startswith("data:"):
                continue  # id: lines, heartbeat comments, blank separators
            try:
                payload = json.loads(line[5:].strip())
            except ValueError:
                continue
            if isinstance(payload, dict):
                yield payload


async def read_turn(
    http: httpx.AsyncClient,
    session_id: str,
    *,
    since: int = 0,
    max_reconnects: int = 20,
    on_turn_start: Callable[[], None] | None = None,
) -> TurnOutput:
    """Follow the stream from event ``since`` to the turn's terminal event.

    ``since`` is exclusive. Ids come only from events that carry an ``id:`` line: never
    from ``turn_start`` (its id is the next output's) or the id-less ``start``.
    """
    cursor = since
    out_parts: list[str] = []
    err_parts: list[str] = []
    out = TurnOutput(end="", exit_code=None, last_id=since)
    attempt = 0
    while True:
        try:
            async for event in _events(http, session_id, cursor):
                kind = event.get("type", "output")
                event_id = event.get("id")
                if kind in TERMINAL:
                    out.end = kind
                    out.exit_code = event.get("code") if kind == "exit" else None
                    out.last_id = cursor
                    out.stdout = "".join(out_parts)
                    out.stderr = "".join(err_parts)
                    return out
                if kind == "turn_start":
                    out.turn = event.get("turn") if isinstance(event.get("turn"), int) else None
                    if on_turn_start is not None:
                        on_turn_start()
                    continue
                if kind == "start":
                    continue
                if isinstance(event_id, int) and event_id > cursor:
                    cursor = event_id
                elif isinstance(event_id, int):
                    continue  # already seen: a replay overlapping our cursor
                if kind == "output":
                    data = event.get("data")
                    if isinstance(data, str):
                        target = err_parts if event.get("stream") == "stderr" else out_parts
                        target.append(data)
                attempt = 0
        except RETRYABLE:
            pass
        # The connection ended without a terminal event: resume after the last id.
        attempt += 1
        out.reconnects += 1
        if attempt > max_reconnects:
            raise ConnectionError(
                f"stream of session {session_id} kept dropping ({max_reconnects} reconnects)"
            )
        await asyncio.sleep(min(5.0, 0.1 * 2 ** (attempt - 1)))
