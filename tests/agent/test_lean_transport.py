"""The AoD client's HTTP/1.1 transport against raw asyncio servers on 127.0.0.1: reuse of
kept-alive connections, a connection the server dropped, streamed bodies, and failures as
httpx's own exceptions."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest

from aodfix.agent.http11 import LeanTransport
from aodfix.agent.sse import read_turn

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}"


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            await reader.readexactly(int(line.split(b":")[1]))
    return head


async def _serve(handler: Handler) -> tuple[asyncio.Server, str, list[int]]:
    connections: list[int] = []

    async def counted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        try:
            await handler(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(counted, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}", connections


async def _answer_forever(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        await _read_request(reader)
        writer.write(OK)
        await writer.drain()


async def test_requests_share_one_kept_alive_connection() -> None:
    server, url, connections = await _serve(_answer_forever)
    async with server, httpx.AsyncClient(transport=LeanTransport()) as client:
        for _ in range(3):
            answer = await client.post(f"{url}/sessions", json={"a": 1})
            assert (answer.status_code, answer.json()) == (200, {})
    assert len(connections) == 1


async def test_a_connection_the_server_closed_is_replaced_once() -> None:
    async def one_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(OK)
        await writer.drain()
        await reader.read(1)  # the next request arrives on a connection being closed

    server, url, connections = await _serve(one_answer)
    async with server, httpx.AsyncClient(transport=LeanTransport()) as client:
        assert (await client.get(f"{url}/a")).status_code == 200
        assert (await client.get(f"{url}/b")).status_code == 200
    assert len(connections) == 2


async def test_a_chunked_stream_arrives_piece_by_piece() -> None:
    release = asyncio.Event()

    async def stream(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n7\r\ndata: 1\r\n"
        )
        await writer.drain()
        await release.wait()
        writer.write(b"7\r\ndata: 2\r\n0\r\n\r\n")
        await writer.drain()

    server, url, _ = await _serve(stream)
    client = httpx.AsyncClient(transport=LeanTransport())
    async with server, client, client.stream("GET", f"{url}/sessions/s/stream") as answer:
        chunks = answer.aiter_bytes()
        assert await anext(chunks) == b"data: 1"
        release.set()
        assert [c async for c in chunks] == [b"data: 2"]


async def test_a_silent_server_is_a_read_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        await asyncio.sleep(5)

    server, url, _ = await _serve(silent)
    async with server, httpx.AsyncClient(transport=LeanTransport(), timeout=0.3) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(f"{url}/slow")


async def test_a_refused_connection_is_a_connect_error() -> None:
    server, url, _ = await _serve(_answer_forever)
    server.close()
    await server.wait_closed()
    async with httpx.AsyncClient(transport=LeanTransport()) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"{url}/gone")


async def test_an_answer_left_unread_does_not_go_back_to_the_pool() -> None:
    async def long_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await _read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 100000)
            await writer.drain()

    server, url, connections = await _serve(long_body)
    async with server, httpx.AsyncClient(transport=LeanTransport()) as client:
        async with client.stream("GET", f"{url}/big") as answer:
            await anext(answer.aiter_raw())  # a part, then given up
        assert (await client.get(f"{url}/big")).status_code == 200
    assert len(connections) == 2


async def test_headers_past_h11s_limit_are_a_protocol_error() -> None:
    async def huge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nX-Junk: " + b"a" * 200_000 + b"\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(1)

    server, url, _ = await _serve(huge)
    async with server, httpx.AsyncClient(transport=LeanTransport()) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(f"{url}/huge")


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


STREAM_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
)
TURN = (
    b'id: 7\ndata: {"type": "output", "id": 7, "stream": "stdout", "data": "done"}\n\n'
    b'id: 7\ndata: {"type": "exit", "id": 7, "code": 0}\n\n'
)


async def test_a_turns_stream_the_server_ended_leaves_its_connection_to_the_next_request() -> None:
    async def turn_then_delete(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(STREAM_HEAD + _chunk(TURN))
        await writer.drain()
        await asyncio.sleep(0.01)  # the stream's end, a moment after its terminal event
        writer.write(b"0\r\n\r\n")
        await _answer_forever(reader, writer)

    server, url, connections = await _serve(turn_then_delete)
    client = httpx.AsyncClient(base_url=url, transport=LeanTransport())
    async with server, client:
        turn = await read_turn(client, "s1", turn=1)
        assert (turn.end, turn.exit_code, turn.stdout, turn.last_id) == ("exit", 0, "done", 7)
        assert (await client.delete("/sessions/s1")).status_code == 200
    assert len(connections) == 1


async def test_a_stream_that_goes_on_after_its_terminal_event_is_cut_off() -> None:
    async def heartbeats(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if len(connections) > 1:
            await _answer_forever(reader, writer)
            return
        await _read_request(reader)
        writer.write(STREAM_HEAD + _chunk(TURN))
        while True:  # never ends the stream
            writer.write(_chunk(b": heartbeat\n\n"))
            await writer.drain()
            await asyncio.sleep(0.005)

    server, url, connections = await _serve(heartbeats)
    client = httpx.AsyncClient(base_url=url, transport=LeanTransport())
    async with server, client:
        turn = await asyncio.wait_for(read_turn(client, "s1", turn=1), timeout=5)
        assert (turn.end, turn.stdout) == ("exit", "done")
        assert (await client.delete("/sessions/s1")).status_code == 200
    assert len(connections) == 2
