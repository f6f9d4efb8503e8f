"""httpx transports that play a bad network between aodfix and a real (emulated) server.

The server really acts on every request; only the answer is late or lost on the way back —
the cases where a client cannot know what the server did.
"""

from __future__ import annotations

import asyncio

import httpx


class _Wrapped(httpx.AsyncBaseTransport):
    def __init__(self, method: str, suffix: str) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.method = method
        self.suffix = suffix

    def matches(self, request: httpx.Request) -> bool:
        return request.method == self.method and request.url.path.endswith(self.suffix)

    async def aclose(self) -> None:
        await self.inner.aclose()


class HoldAnswers(_Wrapped):
    """Answers to ``METHOD …suffix`` arrive ``delay`` seconds after the server sent them."""

    def __init__(self, method: str, suffix: str, delay: float) -> None:
        super().__init__(method, suffix)
        self.delay = delay

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if self.matches(request):
            await asyncio.sleep(self.delay)
        return response


class LoseFirstAnswer(_Wrapped):
    """The first answer to ``METHOD …suffix`` is lost: the client sees a read timeout."""

    def __init__(self, method: str, suffix: str) -> None:
        super().__init__(method, suffix)
        self.lost = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if self.matches(request) and not self.lost:
            self.lost += 1
            await response.aclose()
            raise httpx.ReadTimeout("answer lost", request=request)
        return response


class GarbleAnswers(_Wrapped):
    """Answers to ``METHOD …suffix`` come back as a proxy's HTML page with status 200."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if not self.matches(request):
            return response
        await response.aclose()
        return httpx.Response(200, text="<html><body>Bad Gateway</body></html>", request=request)
