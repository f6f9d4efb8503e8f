"""A lean HTTP/1.1 transport for the AoD client: h11 on asyncio streams, kept-alive
connections in a last-in-first-out list per origin.

A batch makes three AoD requests per repository and holds one event stream open per
running session. httpcore's pool looks through every connection (and wraps each step in
anyio cancellation scopes) on every request and every close; at hundreds of sessions that
bookkeeping costs more CPU than the HTTP itself. Here a request takes the most recently
idle connection of its origin or opens one, and gives it back when its answer was read to
the end. h11 parses (its limits on headers included); httpx's timeouts are honoured per
connect, read and write, and failures are httpx's own exceptions, so callers retry as
before. ``BoundedTransport`` still bounds each request as a whole.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from typing import Any

import h11
import httpx

READ_SIZE = 64 * 1024
MAX_IDLE_PER_ORIGIN = 512

Origin = tuple[str, str, int]


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.h11 = h11.Connection(h11.CLIENT)

    @property
    def usable(self) -> bool:
        return not self.writer.is_closing() and not self.reader.at_eof()

    def close(self) -> None:
        self.writer.close()


class LeanTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 to the AoD API (http or https), connections reused per origin."""

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self._idle: dict[Origin, list[_Connection]] = {}
        self._ssl = ssl_context
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        origin = (request.url.scheme, request.url.host, request.url.port or _port(request))
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        body = await request.aread()
        kept = self._take(origin)
        if kept is not None:
            try:
                return await self._send(kept, origin, request, body, timeouts)
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
                pass  # the server had closed it; the request never reached its handler
        connection = await self._connect(origin, timeouts.get("connect"))
        return await self._send(connection, origin, request, body, timeouts)

    async def _send(
        self,
        connection: _Connection,
        origin: Origin,
        request: httpx.Request,
        body: bytes,
        timeouts: dict[str, float | None],
    ) -> httpx.Response:
        """The exchange on ``connection``, which is closed when it fails."""
        try:
            return await self._exchange(connection, origin, request, body, timeouts)
        except BaseException:
            connection.close()
            raise

    async def aclose(self) -> None:
        self._closed = True
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()

    def _take(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()
            if connection.usable:
                return connection
            connection.close()
        return None

    def _give_back(self, origin: Origin, connection: _Connection) -> None:
        idle = self._idle.setdefault(origin, [])
        if self._closed or not connection.usable or len(idle) >= MAX_IDLE_PER_ORIGIN:
            connection.close()
        else:
            idle.append(connection)

    async def _connect(self, origin: Origin, timeout: float | None) -> _Connection:
        scheme, host, port = origin
        context = None
        if scheme == "https":
            context = self._ssl or httpx.create_ssl_context()
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=context, limit=READ_SIZE
                )
        except TimeoutError:
            raise httpx.ConnectTimeout(f"connecting to {host}:{port} timed out") from None
        except OSError as exc:
            raise httpx.ConnectError(f"cannot connect to {host}:{port}: {exc}") from None
        return _Connection(reader, writer)

    async def _exchange(
        self,
        connection: _Connection,
        origin: Origin,
        request: httpx.Request,
        body: bytes,
        timeouts: dict[str, float | None],
    ) -> httpx.Response:
        headers = [(k, v) for k, v in request.headers.raw]
        if body and not any(k.lower() == b"content-length" for k, _ in headers):
            headers.append((b"Content-Length", str(len(body)).encode()))
        target = request.url.raw_path
        events: list[Any] = [h11.Request(method=request.method, target=target, headers=headers)]
        if body:
            events.append(h11.Data(data=body))
        events.append(h11.EndOfMessage())
        try:  # one write: a request's head and body in one segment, one syscall
            connection.writer.write(b"".join(connection.h11.send(e) or b"" for e in events))
            async with asyncio.timeout(timeouts.get("write")):
                await connection.writer.drain()
        except (h11.LocalProtocolError, OSError) as exc:
            raise httpx.WriteError(str(exc)) from None
        except TimeoutError:
            raise httpx.WriteTimeout("writing the request timed out") from None
        while True:
            event = await _next_event(connection, timeouts.get("read"))
            if isinstance(event, h11.Response):
                break
            if not isinstance(event, h11.InformationalResponse):
                raise httpx.RemoteProtocolError(f"unexpected {type(event).__name__}")
        stream = _Body(self, connection, origin, timeouts.get("read"))
        return httpx.Response(
            event.status_code,
            headers=event.headers,
            stream=stream,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": event.reason},
        )


class _Body(httpx.AsyncByteStream):
    """The answer's body; the connection goes back to the pool once it was read whole."""

    def __init__(
        self,
        transport: LeanTransport,
        connection: _Connection,
        origin: Origin,
        timeout: float | None,
    ) -> None:
        self._transport = transport
        self._connection: _Connection | None = connection
        self._origin = origin
        self._timeout = timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        connection = self._connection
        if connection is None:
            return
        while True:
            event = await _next_event(connection, self._timeout)
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                break
            else:
                raise httpx.RemoteProtocolError(f"unexpected {type(event).__name__}")
        self._connection = None
        h11_connection = connection.h11
        if h11_connection.our_state is h11.DONE and h11_connection.their_state is h11.DONE:
            h11_connection.start_next_cycle()
            self._transport._give_back(self._origin, connection)
        else:
            connection.close()

    async def aclose(self) -> None:
        if self._connection is not None:  # not read to the end: the connection is spent
            self._connection.close()
            self._connection = None


async def _next_event(connection: _Connection, timeout: float | None) -> Any:
    while True:
        try:
            event = connection.h11.next_event()
        except h11.RemoteProtocolError as exc:
            raise httpx.RemoteProtocolError(str(exc)) from None
        if event is not h11.NEED_DATA:
            if event is h11.PAUSED:
                raise httpx.RemoteProtocolError("the server answered out of turn")
            return event
        try:
            async with asyncio.timeout(timeout):
                data = await connection.reader.read(READ_SIZE)
        except TimeoutError:
            raise httpx.ReadTimeout("no answer within the read timeout") from None
        except OSError as exc:
            raise httpx.ReadError(str(exc)) from None
        if not data and connection.h11.their_state is h11.SEND_RESPONSE:
            raise httpx.RemoteProtocolError("the server closed the connection without answering")
        connection.h11.receive_data(data)


def _port(request: httpx.Request) -> int:
    return 443 if request.url.scheme == "https" else 80
