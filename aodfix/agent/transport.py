"""Every AoD answer within a wall-clock and a size bound; event streams only in time.

httpx's timeouts are per read: a server that trickles a byte every few seconds keeps a call
alive forever, and nothing limits how much an answer carries. This transport wraps the real
one and bounds each request as a whole (connection, headers and body) in time, and each
answer's body in size, so a hostile or broken AoD fails one repository with one line
instead of hanging the batch or exhausting memory. An event stream (``GET …/stream`` asked
for and answered as ``text/event-stream``) has only its headers bounded here: it is long by
nature, and ``sse.py`` bounds what it carries. Compression is declined and refused, since a
small compressed answer can inflate past any cap.
"""

from __future__ import annotations

import asyncio

import httpx

DEFAULT_AOD_TIMEOUT = 60.0  # seconds per request (AODFIX_AOD_TIMEOUT)
MAX_ANSWER_BYTES = 1024 * 1024
# ``GET /sessions`` lists every session of the user, unpaginated: give it more room.
MAX_LISTING_BYTES = 16 * 1024 * 1024
EVENT_STREAM = "text/event-stream"


class AnswerTimeout(httpx.TimeoutException):
    """AoD did not answer a request in full within the wall-clock bound."""


class AnswerRefused(httpx.DecodingError):
    """An AoD answer aodfix will not read: larger than its cap, or compressed."""


class BoundedTransport(httpx.AsyncBaseTransport):
    """Wraps ``inner``: at most ``timeout`` seconds per request, ``max_bytes`` per answer."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        timeout: float = DEFAULT_AOD_TIMEOUT,
        max_bytes: int = MAX_ANSWER_BYTES,
        max_listing_bytes: int = MAX_LISTING_BYTES,
    ) -> None:
        self.inner = inner
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_listing_bytes = max_listing_bytes

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.headers["Accept-Encoding"] = "identity"
        bound = asyncio.timeout(self.timeout)
        try:
            async with bound:
                response = await self.inner.handle_async_request(request)
                encoding = response.headers.get("content-encoding", "identity").lower()
                if encoding != "identity":
                    await response.aclose()
                    raise AnswerRefused(
                        f"AoD sent a compressed answer (Content-Encoding: {encoding})"
                        f" to {_name(request)} although aodfix asked for none",
                        request=request,
                    )
                if _is_event_stream(request, response):
                    return response
                body = await self._read(request, response)
        except TimeoutError:
            if not bound.expired():
                raise
            raise AnswerTimeout(
                f"AoD did not answer {_name(request)} within {self.timeout:g} s", request=request
            ) from None
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(body),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def _read(self, request: httpx.Request, response: httpx.Response) -> bytes:
        """The whole body, or AnswerRefused as soon as it passes the cap."""
        limit = self.max_bytes
        if request.method == "GET" and request.url.path.rstrip("/").endswith("/sessions"):
            limit = self.max_listing_bytes
        try:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise _too_large(request, limit)
            chunks: list[bytes] = []
            received = 0
            async for chunk in response.aiter_raw():
                received += len(chunk)
                if received > limit:
                    raise _too_large(request, limit)
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            await response.aclose()


def _is_event_stream(request: httpx.Request, response: httpx.Response) -> bool:
    asked = EVENT_STREAM in request.headers.get("accept", "")
    media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return asked and media_type == EVENT_STREAM


def _too_large(request: httpx.Request, limit: int) -> AnswerRefused:
    mib = 1024 * 1024
    size = f"{limit // mib} MiB" if limit % mib == 0 else f"{limit} bytes"
    return AnswerRefused(
        f"AoD sent an answer larger than {size} to {_name(request)}", request=request
    )


def _name(request: httpx.Request) -> str:
    return f"{request.method} {request.url.path}"
