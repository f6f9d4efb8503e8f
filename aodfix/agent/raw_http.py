"""The SDK's own configured HTTP client (base URL, auth, timeouts), for the calls aodfix
makes without the SDK's models: the stream, lenient record reads (SDK 0.1.0 cannot parse
current servers' records), and the preflight."""

from __future__ import annotations

import httpx
from aod import AsyncClient


def raw_http(client: AsyncClient) -> httpx.AsyncClient:
    http: httpx.AsyncClient = client._http
    return http
