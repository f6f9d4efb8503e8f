"""The batch's last word with AoD: delete every session a repository could not delete.

A cancelled repository may leave its session open; a create whose answer was lost may have
made a session aodfix never saw (``agent.orphans``). Bounded in time, and it never raises:
the report must be written whatever AoD does now.
"""

from __future__ import annotations

import asyncio
import logging

import httpx
from aod import AsyncClient
from aod.errors import AodHTTPError

from aodfix.agent.orphans import list_sessions, orphans
from aodfix.agent.session import SessionRegistry, delete_session

log = logging.getLogger(__name__)

CLEANUP_TIMEOUT = 30.0


async def sweep_sessions(aod: AsyncClient, registry: SessionRegistry) -> None:
    leftovers = list(registry.open)
    if registry.ambiguous:
        try:
            listed = await asyncio.wait_for(list_sessions(aod), CLEANUP_TIMEOUT)
            lost = orphans(listed, registry.known, registry.ambiguous)
        except (AodHTTPError, httpx.HTTPError, TimeoutError, ValueError) as exc:
            log.warning("could not look for sessions whose create answer was lost: %s", exc)
        else:
            registry.known.update(lost)
            leftovers += lost
    if not leftovers:
        return

    async def one(session_id: str) -> None:
        try:
            await delete_session(aod, session_id, terminate_first=True)
            registry.open.discard(session_id)
        except (AodHTTPError, OSError) as exc:
            log.warning("could not delete session %s: %s", session_id, exc)

    try:
        await asyncio.wait_for(
            asyncio.gather(*(one(s) for s in leftovers), return_exceptions=True),
            CLEANUP_TIMEOUT,
        )
    except TimeoutError:
        still = ", ".join(sorted(registry.open))
        log.warning("gave up deleting sessions after %g s: %s", CLEANUP_TIMEOUT, still)
