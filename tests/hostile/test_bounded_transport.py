"""The transport that bounds every AoD answer, against in-process answers (no sockets)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from aodfix.agent.transport import AnswerRefused, AnswerTimeout, BoundedTransport


class _Body(httpx.AsyncByteStream):
    def __init__(self, chunks: int, pause: float = 0.0) -> None:
        self.chunks = chunks
        self.pause = pause
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            await asyncio.sleep(self.pause)
            self.sent += 1
            yield b"x" * 1024


def _client(response: httpx.Response, **bounds: float) -> httpx.AsyncClient:
    inner = httpx.MockTransport(lambda request: response)
    return httpx.AsyncClient(
        base_url="http://aod.test",
        transport=BoundedTransport(inner, **bounds),
    )


async def test_a_body_past_the_cap_is_refused_before_it_is_all_read() -> None:
    body = _Body(chunks=10_000)
    async with _client(httpx.Response(202, stream=body), max_bytes=64 * 1024) as client:
        with pytest.raises(AnswerRefused, match="larger than 65536 bytes to POST /sessions"):
            await client.post("/sessions")
    assert body.sent <= 65


async def test_a_declared_length_past_the_cap_is_refused_unread() -> None:
    body = _Body(chunks=1)
    response = httpx.Response(200, headers={"content-length": "999999999"}, stream=body)
    async with _client(response) as client:
        with pytest.raises(AnswerRefused, match="larger than 1 MiB"):
            await client.get("/agents/a")
    assert body.sent == 0


async def test_the_session_listing_has_more_room() -> None:
    async with _client(httpx.Response(200, stream=_Body(chunks=2048))) as client:
        assert len((await client.get("/sessions")).content) == 2048 * 1024


async def test_a_trickled_answer_times_out_as_a_whole() -> None:
    response = httpx.Response(202, stream=_Body(chunks=100, pause=0.05))
    async with _client(response, timeout=0.3) as client:
        with pytest.raises(AnswerTimeout, match=r"did not answer POST /sessions within 0\.3 s"):
            await client.post("/sessions")


async def test_a_compressed_answer_is_refused() -> None:
    response = httpx.Response(200, headers={"content-encoding": "gzip"}, content=b"\x1f\x8b")
    async with _client(response) as client:
        with pytest.raises(AnswerRefused, match="compressed answer"):
            await client.get("/agents/a")


async def test_an_event_stream_is_handed_on_unread() -> None:
    body = _Body(chunks=4096)  # 4 MiB: past the cap, yet a stream is bounded by sse.py
    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=body)
    async with (
        _client(response, timeout=5) as client,
        client.stream("GET", "/sessions/s/stream", headers={"Accept": "text/event-stream"}) as r,
    ):
        assert body.sent == 0
        assert len(await r.aread()) == 4096 * 1024
