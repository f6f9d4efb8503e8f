"""Read one turn of an AoD session from its SSE stream, resuming across dropped connections.

The SDK 0.1.0 iterator raises on event types it does not know and never sends
``Last-Event-ID``; aodfix reads the same endpoint through the SDK's configured HTTP client
and parses the wire format itself (reference §5.3), so a new event type is skipped, not
fatal, and a dropped connection resumes after the last event id with nothing lost or
repeated.

Servers differ in how a turn ends: the real one makes up one terminal event per connection
that reuses the last row id; another may store each turn's terminal event with an id of its
own. The cursor therefore follows every event that carries an id, terminal ones included,
and an ``exit``/``error`` that arrives before anything of the current turn (the previous
turn's ending, replayed while the new prompt is still queued) never ends the turn.

Everything here is the server's (untrusted) text: lines and the turn's total output are
capped, so a hostile or broken server fails one repository instead of exhausting memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from aod.errors import ServerError, raise_for_status

TERMINAL = frozenset({"exit", "error", "terminated", "stale"})
TURN_ENDINGS = frozenset({"exit", "error"})  # the ones a previous turn can leave behind
FINISHED_TURN = frozenset({"completed", "failed"})
RETRYABLE = (httpx.TransportError, ServerError)
MAX_LINE_BYTES = 8 * 1024 * 1024
MAX_SESSION_OUTPUT_CHARS = 32 * 1024 * 1024
DRAIN_SECONDS = 0.1  # reading what follows a terminal event: the stream's end, at once
DRAIN_LINES = 16
# Previous-turn endings in a row before the turn record is asked whether this turn ended
# without a single row of its own.
ENDINGS_BEFORE_LOOKUP = 3


class StreamTooLarge(Exception):
    """The server sent a line or an amount of output past aodfix's caps."""


@dataclass
class TurnOutput:
    """What one turn printed and how it ended."""

    end: str  # exit | error | terminated | stale
    exit_code: int | None
    last_id: int
    stdout: str = ""
    stderr: str = ""
    turn: int | None = None

    @property
    def size(self) -> int:
        return len(self.stdout) + len(self.stderr)


async def _lines(response: httpx.Response) -> AsyncGenerator[str, None]:
    """The response's lines (``\\n`` or ``\\r\\n``), refusing one longer than MAX_LINE_BYTES."""
    buffer = bytearray()
    async for chunk in response.aiter_bytes():
        buffer += chunk
        start = 0
        while (end := buffer.find(b"\n", start)) != -1:
            yield buffer[start:end].rstrip(b"\r").decode("utf-8", "replace")
            start = end + 1
        del buffer[:start]
        if len(buffer) > MAX_LINE_BYTES:
            raise StreamTooLarge(f"the stream sent a line longer than {MAX_LINE_BYTES} bytes")
    if buffer:
        yield buffer.decode("utf-8", "replace")


async def _events(
    http: httpx.AsyncClient, session_id: str, since: int
) -> AsyncGenerator[dict[str, Any], None]:
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
        lines = _lines(response)
        ended = False
        try:
            async for line in lines:
                if not line.startswith("data:"):
                    continue  # id: lines, heartbeat comments, blank separators
                try:
                    payload = json.loads(line[5:].strip())
                except ValueError:
                    continue
                if isinstance(payload, dict):
                    ended = payload.get("type") in TERMINAL
                    yield payload
        finally:
            if ended:
                await _drain(lines)
            await lines.aclose()


async def _drain(lines: AsyncGenerator[str, None]) -> None:
    """Read on after a terminal event to the stream's end, which the server sends right
    after it: the connection then carries the next request instead of being closed (a TLS
    handshake less per turn). A server that goes on is cut off, as before."""
    with contextlib.suppress(Exception):  # whatever it sent, the turn has ended
        async with asyncio.timeout(DRAIN_SECONDS):
            for _ in range(DRAIN_LINES):
                await anext(lines)


async def read_turn(
    http: httpx.AsyncClient,
    session_id: str,
    *,
    since: int = 0,
    turn: int | None = None,
    max_output: int = MAX_SESSION_OUTPUT_CHARS,
    max_reconnects: int = 20,
    on_turn_start: Callable[[], None] | None = None,
) -> TurnOutput:
    """Follow the stream from event ``since`` (exclusive) to the turn's terminal event.

    ``since`` is the cursor when the turn's prompt was sent; ``turn`` its number, used to ask
    the turn record when only an earlier turn's ending keeps arriving. Ids come from every
    event that carries one, never from ``turn_start`` (its id is the next output's) or the
    id-less ``start``. More than ``max_output`` characters raise StreamTooLarge.
    """
    cursor = since
    out_parts: list[str] = []
    err_parts: list[str] = []
    size = 0
    out = TurnOutput(end="", exit_code=None, last_id=since)
    attempt = old_endings = 0

    def finish(kind: str, code: Any) -> TurnOutput:
        out.end = kind
        out.exit_code = code if isinstance(code, int) and not isinstance(code, bool) else None
        out.last_id = cursor
        out.stdout = "".join(out_parts)
        out.stderr = "".join(err_parts)
        return out

    while True:
        ended_before = False
        try:
            async with contextlib.aclosing(_events(http, session_id, cursor)) as events:
                async for event in events:
                    kind = event.get("type", "output")
                    event_id = event.get("id")
                    new = isinstance(event_id, int) and event_id > cursor
                    if kind in TERMINAL:
                        if kind in TURN_ENDINGS and not new and cursor == since:
                            ended_before = True  # the previous turn's ending: ours is queued
                            break
                        cursor = event_id if new and isinstance(event_id, int) else cursor
                        return finish(kind, event.get("code") if kind == "exit" else None)
                    if kind == "turn_start":
                        number = event.get("turn")
                        out.turn = number if isinstance(number, int) else None
                        if on_turn_start is not None:
                            on_turn_start()
                        continue
                    if kind == "start":
                        continue
                    if isinstance(event_id, int):
                        if not new:
                            continue  # already seen: a replay overlapping our cursor
                        cursor = event_id
                    if kind == "output":
                        size += _keep(event, out_parts, err_parts)
                        if size > max_output:
                            raise StreamTooLarge(
                                f"the session printed more than {max_output} characters"
                            )
                    attempt = 0
        except RETRYABLE:
            pass
        if ended_before:
            old_endings += 1
            if old_endings % ENDINGS_BEFORE_LOOKUP == 0 and turn is not None:
                ending = await _turn_ending(http, session_id, turn)
                if ending is not None:
                    return finish(*ending)
            await asyncio.sleep(min(2.0, 0.1 * old_endings))
            continue  # not a dropped connection: the session deadline bounds this wait
        # The connection ended without a terminal event: resume after the last id.
        attempt += 1
        if attempt > max_reconnects:
            raise ConnectionError(
                f"stream of session {session_id} kept dropping ({max_reconnects} reconnects)"
            )
        await asyncio.sleep(min(5.0, 0.1 * 2 ** (attempt - 1)))


def _keep(event: dict[str, Any], out_parts: list[str], err_parts: list[str]) -> int:
    """File an output event's data under its stream; returns how many characters it held."""
    data = event.get("data")
    if not isinstance(data, str):
        return 0
    (err_parts if event.get("stream") == "stderr" else out_parts).append(data)
    return len(data)


async def _turn_ending(
    http: httpx.AsyncClient, session_id: str, turn: int
) -> tuple[str, int | None] | None:
    """How turn ``turn`` ended by its record, for a turn that wrote no row at all; None
    while it is still queued or running (or the record cannot be read)."""
    try:
        response = await http.get(f"/sessions/{session_id}/turns")
        records = response.json().get("data") if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
    for record in records if isinstance(records, list) else []:
        if isinstance(record, dict) and record.get("turn_number") == turn:
            status, code = record.get("status"), record.get("exit_code")
            if status not in FINISHED_TURN:
                return None
            if isinstance(code, int) and not isinstance(code, bool):
                return "exit", code
            return "error", None
    return None
