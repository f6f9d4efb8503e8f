"""Fail the whole run early (exit 2) when AoD is unreachable, refuses the token or lacks
the agent: otherwise every repository would fail alike, one by one.

A server that answers but is not AoD (a web page, another API, a wrong port) is named as
such: "agent … not found" would send a person looking for an agent id that is fine."""

from __future__ import annotations

from typing import Any

import httpx
from aod import AsyncClient

from aodfix.agent.raw_http import raw_http
from aodfix.errors import ConfigurationError


async def check_aod(client: AsyncClient, url: str, agent_id: str) -> None:
    """Raises ConfigurationError with one line naming what is wrong."""
    http = raw_http(client)
    try:
        response = await http.get(f"/agents/{agent_id.lower()}")
    except httpx.HTTPError as exc:
        raise ConfigurationError(
            f"cannot reach Agent on Demand at {url}: {type(exc).__name__}: {exc}"
        ) from None
    if response.status_code in (401, 403):
        raise ConfigurationError(f"Agent on Demand at {url} refused AOD_API_TOKEN")
    if response.status_code == 404:
        # AoD's 404 for an unknown agent; anything else's 404 for a path it never had
        if not await _answers_health(http):
            raise _not_aod(url, "GET /health did not answer like AoD")
        raise ConfigurationError(
            f"agent {agent_id} not found at {url} (check `agent:` or AOD_AGENT_ID)"
        )
    if response.status_code >= 400:
        raise ConfigurationError(
            f"Agent on Demand at {url} answered {response.status_code} to GET /agents/…"
        )
    if not _is_agent(_json(response), agent_id):
        raise _not_aod(url, "GET /agents/… did not return an agent")


async def _answers_health(http: httpx.AsyncClient) -> bool:
    """AoD's public ``GET /health`` answers JSON with a ``status`` (200 ok, 503 when its
    database is down)."""
    try:
        response = await http.get("/health")
    except httpx.HTTPError:
        return False
    data = _json(response)
    return response.status_code in (200, 503) and isinstance(data, dict) and "status" in data


def _is_agent(data: Any, agent_id: str) -> bool:
    """The agent object AoD returns: the id asked for, and an agent's own fields."""
    if not isinstance(data, dict) or str(data.get("id", "")).lower() != agent_id.lower():
        return False
    return data.get("type") == "agent" or "model" in data or "provider" in data


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:  # an HTML page, plain text, nothing
        return None


def _not_aod(url: str, why: str) -> ConfigurationError:
    return ConfigurationError(
        f"the server at {url} does not answer like Agent on Demand ({why}); check AOD_API_URL"
    )
