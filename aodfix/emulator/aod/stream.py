"""``GET /sessions/{id}/stream``: the service's SSE tail of a session's rows (reference §5).

Every connection replays from ``since`` (exclusive), then tails; it ends with one made-up
terminal event once the session is finished and no rows are left, or with ``stale`` after a
silence. Heartbeats follow the wall clock, output or not. A stream wakes as soon as a row
arrives or the status changes; ``poll_interval`` only bounds how long an idle stream
sleeps between checks (the service polls every 0.5 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from aodfix.emulator.aod.config import EmulatorConfig
from aodfix.emulator.aod.events import TERMINAL_ROWS, Row
from aodfix.emulator.aod.faults import Faults
from aodfix.emulator.aod.records import start_event
from aodfix.emulator.aod.store import FINISHED_STATUSES, Session

BATCH = 100  # rows per pass, as the service reads them
HEARTBEAT = b": heartbeat\n\n"
HEADERS = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]


class StreamDropped(Exception):
    """Raised inside a stream to cut the connection without a proper end, as a broken
    proxy or a deleted session does; the client sees an incomplete response."""


class _HideDroppedStreams(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and record.exc_info[0] is StreamDropped)


logging.getLogger("uvicorn.error").addFilter(_HideDroppedStreams())


def frame(payload: dict[str, Any]) -> bytes:
    """One SSE event: an ``id:`` line when the id is positive and the event is not
    ``turn_start``, then one ``data:`` line of ``json.dumps`` with default separators."""
    event_id = payload.get("id")
    head = ""
    if isinstance(event_id, int) and event_id > 0 and payload["type"] != "turn_start":
        head = f"id: {event_id}\n"
    return f"{head}data: {json.dumps(payload)}\n\n".encode()


def _row_event(row: Row) -> dict[str, Any]:
    return {"type": row.kind, "id": row.id, **row.payload}


def _terminal_event(session: Session, last_id: int) -> dict[str, Any]:
    if session.status == "terminated":
        return {"type": "terminated", "id": last_id, "message": "Session terminated"}
    if session.status == "failed" and session.exit_code is None:
        return {"type": "error", "id": last_id, "message": "Session failed"}
    return {"type": "exit", "id": last_id, "code": session.exit_code}


async def session_frames(
    session: Session, since: int, config: EmulatorConfig, closing: Callable[[], bool]
) -> AsyncIterator[bytes]:
    """The frames of one connection, as the service's generator writes them."""
    loop = asyncio.get_running_loop()
    yield frame(start_event(session, config.record_shape))
    last_id, last_turn = since, None
    last_chunk = last_heartbeat = loop.time()
    while True:
        if session.deleted:
            raise StreamDropped
        if closing():
            return
        changed = session.log.waiter()
        rows = session.log.after(last_id, BATCH)
        now = loop.time()
        if rows:
            last_chunk = now
        for row in rows:
            last_id = row.id
            if row.kind == "output" and row.turn is not None and row.turn != last_turn:
                last_turn = row.turn
                yield frame({"type": "turn_start", "id": row.id, "turn": row.turn})
            yield frame(_row_event(row))
            if row.kind in TERMINAL_ROWS:
                return  # a stored ending closes the connection like a made-up one
        if not rows and session.status in FINISHED_STATUSES:
            yield frame(_terminal_event(session, last_id))
            return
        stale_after = session.stale_after or config.stale_after
        if now - last_chunk > stale_after:
            message = f"No output for {stale_after:g}s"
            yield frame({"type": "stale", "id": last_id, "message": message})
            return
        if now - last_heartbeat >= config.heartbeat_interval:
            last_heartbeat = now
            yield HEARTBEAT
        if rows:
            continue
        wait = min(
            config.poll_interval,
            last_heartbeat + config.heartbeat_interval - now,
            last_chunk + stale_after - now,
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), max(wait, 0.001))


async def with_faults(
    frames: AsyncIterator[bytes], faults: Faults, drop_after: int | None
) -> AsyncGenerator[bytes, None]:
    """Apply the armed stream faults: a delay before each event, a cut after N events."""
    sent = 0
    async for chunk in frames:
        if chunk == HEARTBEAT:
            yield chunk
            continue
        if drop_after is not None and sent >= drop_after:
            raise StreamDropped
        if delay := faults.stream_delay:
            await asyncio.sleep(delay)
        yield chunk
        sent += 1


class EventStreamResponse(Response):
    """An SSE response that stops producing as soon as the client goes away, and can be
    cut mid-stream (``StreamDropped``)."""

    def __init__(self, frames: AsyncGenerator[bytes, None]) -> None:
        super().__init__(status_code=200)
        self.frames = frames

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        pump = asyncio.ensure_future(self._pump(send))
        gone = asyncio.ensure_future(_disconnected(receive))
        try:
            await asyncio.wait({pump, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (pump, gone):
                task.cancel()
            await asyncio.gather(pump, gone, return_exceptions=True)
            await self.frames.aclose()
        if pump.cancelled():
            return  # the client went away
        error = pump.exception()
        if isinstance(error, StreamDropped):
            raise error
        if error is None:
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _pump(self, send: Send) -> None:
        async for chunk in self.frames:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
