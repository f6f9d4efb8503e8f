"""A small AoD stand-in that answers the preflight normally and misbehaves where told.

It speaks just enough of the API for one aodfix run: ``GET /agents/{id}``, ``POST
/sessions``, ``GET /sessions`` (the orphan sweep), the stream, prompt, terminate and delete.
Its well-behaved stream is one turn whose output is an empty collect block for the base the
prompt names, so a run ends ``no_changes`` unless a misbehaviour gets in the way. Every
session it makes and every terminate and DELETE it receives is recorded, so a test can
tell whether aodfix cleaned up. Nothing it sends is held in memory: floods are generated.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from aodfix.emulator.server import BackgroundServer
from aodfix.patch import render_patch_block

MiB = 1024 * 1024
AGENT_ID = "7d3c6a0e-0000-4000-8000-000000000001"
_BASE = re.compile(r"base=([0-9a-f]{40})")

Create = Literal["ack", "trickle_first", "huge"]
Stream = Literal["no_changes", "endless_line", "flood"]
Delete = Literal["ok", "hang"]


@dataclass(frozen=True)
class Misbehaviour:
    """What goes wrong: the create answer, the stream, or the DELETE."""

    create: Create = "ack"  # trickle_first: the first answer comes a byte every 5 s
    stream: Stream = "no_changes"
    delete: Delete = "ok"  # hang: recorded, then never answered
    huge_bytes: int = 200 * MiB  # size of a ``huge`` create answer
    flood_bytes: int = 100 * MiB  # output carried by a ``flood`` stream
    endless_cap: int = 1024 * MiB  # an endless line stops (and hangs) here, to spare the host


@dataclass
class HostileAod:
    """The server, its records, and its lifecycle (``with HostileAod(...) as aod``)."""

    misbehaviour: Misbehaviour = field(default_factory=Misbehaviour)
    agent_id: str = AGENT_ID
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    prompts: dict[str, str] = field(default_factory=dict)  # session id -> its task prompt
    terminated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)  # every DELETE received, answered or not
    _stopping: bool = False

    def __post_init__(self) -> None:
        app = Starlette(
            routes=[
                Route("/agents/{agent_id}", self._agent, methods=["GET"]),
                Route("/sessions", self._create, methods=["POST"]),
                Route("/sessions", self._list, methods=["GET"]),
                Route("/sessions/{sid}/stream", self._stream, methods=["GET"]),
                Route("/sessions/{sid}/prompt", self._prompt, methods=["POST"]),
                Route("/sessions/{sid}/terminate", self._terminate, methods=["POST"]),
                Route("/sessions/{sid}/delete", self._delete, methods=["DELETE"]),
            ]
        )
        self._server = BackgroundServer(app)

    @property
    def url(self) -> str:
        return self._server.url

    def start(self) -> HostileAod:
        self._server.start()
        return self

    def stop(self) -> None:
        self._stopping = True  # ends every hang and trickle
        self._server.stop()

    def __enter__(self) -> HostileAod:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def undeleted(self) -> set[str]:
        return set(self.sessions) - set(self.deleted)

    # --- endpoints ----------------------------------------------------------------------

    async def _agent(self, request: Request) -> Response:
        if request.path_params["agent_id"] != self.agent_id:
            return JSONResponse({"detail": "Agent not found"}, 404)
        return JSONResponse(
            {"id": self.agent_id, "type": "agent", "name": "hostile", "runtime": "claude"}
        )

    async def _create(self, request: Request) -> Response:
        body = await request.json()
        sid = str(uuid.uuid4())
        resources = [{"type": r.get("type"), "url": r.get("url")} for r in body["resources"]]
        self.sessions[sid] = {
            "id": sid,
            "status": "pending",
            "runtime": "claude",
            "created_at": datetime.now(UTC).isoformat(),
            "resources": resources,
        }
        self.prompts[sid] = body["prompt"]
        ack = {"id": sid, "status": "pending", "stream_url": f"/sessions/{sid}/stream"}
        first = len(self.sessions) == 1
        if self.misbehaviour.create == "trickle_first" and first:
            return StreamingResponse(self._trickle(json.dumps(ack).encode()), 202)
        if self.misbehaviour.create == "huge":
            head = json.dumps(ack)[:-1].encode() + b', "padding": "'
            return StreamingResponse(
                self._padded(head, self.misbehaviour.huge_bytes, b'"}'),
                202,
                media_type="application/json",
            )
        return JSONResponse({**ack, "resources": resources, "current_turn": 1}, 202)

    async def _list(self, request: Request) -> Response:
        return JSONResponse({"data": list(self.sessions.values())})

    async def _stream(self, request: Request) -> Response:
        sid = request.path_params["sid"]
        frames = {
            "no_changes": self._no_changes,
            "endless_line": self._endless_line,
            "flood": self._flood,
        }[self.misbehaviour.stream](sid)
        return StreamingResponse(frames, media_type="text/event-stream")

    async def _prompt(self, request: Request) -> Response:
        sid = request.path_params["sid"]
        return JSONResponse({"id": sid, "status": "pending", "current_turn": 2}, 202)

    async def _terminate(self, request: Request) -> Response:
        sid = request.path_params["sid"]
        self.terminated.append(sid)
        return JSONResponse({"id": sid, "status": "terminated"})

    async def _delete(self, request: Request) -> Response:
        sid = request.path_params["sid"]
        self.deleted.append(sid)
        if self.misbehaviour.delete == "hang":
            await self._hang()
        return JSONResponse({"detail": "Session deleted"})

    # --- bodies -------------------------------------------------------------------------

    async def _hang(self) -> None:
        while not self._stopping:
            await asyncio.sleep(0.1)

    async def _trickle(self, body: bytes) -> AsyncIterator[bytes]:
        for i in range(len(body)):
            yield body[i : i + 1]
            for _ in range(50):  # 5 s, cut short when the server stops
                if self._stopping:
                    return
                await asyncio.sleep(0.1)

    async def _padded(self, head: bytes, size: int, tail: bytes) -> AsyncIterator[bytes]:
        yield head
        chunk = b"x" * MiB
        for _ in range(size // MiB):
            if self._stopping:
                return
            yield chunk
        yield tail

    async def _no_changes(self, sid: str) -> AsyncIterator[bytes]:
        match = _BASE.search(self.prompts[sid])
        assert match is not None, "the prompt names no base"
        block = render_patch_block(b"", match[1])
        yield _frame({"type": "start", "session_id": sid})
        yield _frame({"type": "turn_start", "turn": 1, "id": 1})
        yield _frame({"type": "output", "id": 1, "stream": "stdout", "turn": 1, "data": block})
        yield _frame({"type": "exit", "id": 1, "code": 0})

    async def _endless_line(self, sid: str) -> AsyncIterator[bytes]:
        yield _frame({"type": "start", "session_id": sid})
        yield _frame({"type": "turn_start", "turn": 1, "id": 1})
        yield b'id: 1\ndata: {"type": "output", "id": 1, "stream": "stdout", "data": "'
        chunk = b"x" * MiB
        for _ in range(self.misbehaviour.endless_cap // MiB):
            if self._stopping:
                return
            yield chunk
        await self._hang()

    async def _flood(self, sid: str) -> AsyncIterator[bytes]:
        yield _frame({"type": "start", "session_id": sid})
        yield _frame({"type": "turn_start", "turn": 1, "id": 1})
        data = ("x" * 1023 + "\n") * 1024  # 1 MiB of output lines per event
        events = self.misbehaviour.flood_bytes // MiB
        for n in range(1, events + 1):
            if self._stopping:
                return
            yield _frame({"type": "output", "id": n, "stream": "stdout", "turn": 1, "data": data})
        yield _frame({"type": "exit", "id": events, "code": 0})


def _frame(payload: dict[str, Any]) -> bytes:
    """One SSE event as the service writes it: an ``id:`` line except for turn_start."""
    head = f"id: {payload['id']}\n" if "id" in payload and payload["type"] != "turn_start" else ""
    return f"{head}data: {json.dumps(payload)}\n\n".encode()
