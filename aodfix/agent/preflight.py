"""Fail the whole run early (exit 2) when AoD is unreachable, refuses the token or lacks
the agent: otherwise every repository would fail alike, one by one."""

from __future__ import annotations

import httpx
from aod import AsyncClient

from aodfix.agent.raw_http import raw_http
from aodfix.errors import ConfigurationError


async def check_aod(client: AsyncClient, url: str, agent_id: str) -> None:
    """Raises ConfigurationError with one line naming what is wrong."""
    try:
        response = await raw_http(client).get(f"/agents/{agent_id.lower()}")
    except httpx.HTTPError as exc:
        raise ConfigurationError(
            f"cannot reach Agent on Demand at {url}: {type(exc).__name__}: {exc}"
        ) from None
    if response.status_code in (401, 403):
        raise ConfigurationError(f"Agent on Demand at {url} refused AOD_API_TOKEN")
    if response.status_code == 404:
        raise ConfigurationError(
            f"agent {agent_id} not found at {url} (check `agent:` or AOD_AGENT_ID)"
        )
    if response.status_code >= 400:
        raise ConfigurationError(
            f"Agent on Demand at {url} answered {response.status_code} to GET /agents/…"
        )
