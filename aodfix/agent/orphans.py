"""Sessions the server may have created although aodfix never saw the answer.

A create whose connection broke (timeout, reset) is ambiguous: the server may have made
the session before the answer was lost, and aodfix then retries and makes another. The
first would run unobserved and hold quota. So ambiguous creates are remembered, and at the
end of the batch the session list is searched for sessions of the same repository made in
that window that aodfix does not know, and those are deleted. Records are read leniently
(SDK 0.1.0's models reject current servers' session records).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from aod import AsyncClient
from aod.errors import raise_for_status

from aodfix.agent.raw_http import raw_http

CLOCK_SKEW = timedelta(seconds=120)  # between this machine's clock and the server's


@dataclass(frozen=True)
class AmbiguousCreate:
    urls: frozenset[str]
    started: datetime
    ended: datetime


def _normal(url: str) -> str:
    return url.rstrip("/").removesuffix(".git").lower()


def orphans(
    records: list[dict[str, object]], known: set[str], ambiguous: list[AmbiguousCreate]
) -> list[str]:
    """Ids of listed sessions that match an ambiguous create and are not ours already."""
    found = []
    for record in records:
        session_id = str(record.get("id", ""))
        if not session_id or session_id in known:
            continue
        created = _parse_time(record.get("created_at"))
        resources = record.get("resources")
        urls = {
            _normal(str(r.get("url", "")))
            for r in (resources if isinstance(resources, list) else [])
            if isinstance(r, dict)
        }
        for attempt in ambiguous:
            in_window = created is not None and (
                attempt.started - CLOCK_SKEW <= created <= attempt.ended + CLOCK_SKEW
            )
            if in_window and urls & {_normal(u) for u in attempt.urls}:
                found.append(session_id)
                break
    return found


async def list_sessions(client: AsyncClient) -> list[dict[str, object]]:
    http = raw_http(client)
    response = await http.get("/sessions")
    body = response.json() if response.content else None
    raise_for_status(response.status_code, body, "GET", str(response.request.url))
    data = body.get("data") if isinstance(body, dict) else None
    return [r for r in data if isinstance(r, dict)] if isinstance(data, list) else []


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
