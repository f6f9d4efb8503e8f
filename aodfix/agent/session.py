"""One AoD session from create to delete: quota-aware create, turns, guaranteed cleanup.

Every session aodfix creates is deleted — on success, failure, deadline and cancellation —
because a sandbox counts against the user's quota until its row is gone. Sessions are
driven from the stream, never by polling ``get()`` (SDK 0.1.0 cannot parse current
servers' session records).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
from aod import AsyncClient
from aod.errors import AodHTTPError, ConflictError, NotFoundError, RateLimitError, ServerError

from aodfix.agent.orphans import AmbiguousCreate
from aodfix.agent.quota import QuotaGate
from aodfix.agent.raw_http import raw_http
from aodfix.agent.sse import MAX_SESSION_OUTPUT_CHARS, TurnOutput, read_turn
from aodfix.agent.transport import AnswerRefused

log = logging.getLogger(__name__)

MIN_TURN_TIMEOUT = 10
MAX_TURN_TIMEOUT = 3600
CREATE_RETRIES = 5
PROMPT_RETRIES = 4
CLOSE_TIMEOUT = 30.0


def turn_timeout(seconds: float) -> int:
    """A per-turn timeout AoD accepts (10..3600), from the time the session has left."""
    return max(MIN_TURN_TIMEOUT, min(MAX_TURN_TIMEOUT, int(seconds)))


class SessionRegistry:
    """The sessions created and not yet deleted: the batch's last-resort cleanup list."""

    def __init__(self) -> None:
        self.open: set[str] = set()
        self.known: set[str] = set()  # every session id this batch has seen
        self.ambiguous: list[AmbiguousCreate] = []  # creates whose answer was lost


class AgentSession:
    """A session holding one quota slot from create until it is deleted."""

    def __init__(
        self,
        client: AsyncClient,
        gate: QuotaGate,
        registry: SessionRegistry,
        *,
        admit: Callable[[], None] | None = None,
    ) -> None:
        self.client = client
        self.gate = gate
        self.registry = registry
        self.admit = admit  # called with a slot in hand, before the create; may raise
        self.id: str | None = None
        self.cursor = 0
        self.turns = 0
        self.output_size = 0  # characters every turn printed: capped per session
        self._holding_slot = False
        self._finished = False  # the last turn reached a terminal event

    @property
    def http(self) -> httpx.AsyncClient:
        return raw_http(self.client)

    async def create(
        self,
        *,
        agent_id: str,
        prompt: str,
        timeout: int,
        resources: Sequence[dict[str, Any]],
        environment_id: str | None = None,
    ) -> str:
        """Create the session once a quota slot is free; a 429 waits, it never fails."""
        limited = errors = 0
        while True:
            await self.gate.acquire()
            if self.admit is not None:
                try:
                    self.admit()
                except BaseException:
                    await self.gate.release(finished=False)
                    raise
            request = asyncio.ensure_future(
                self.client.sessions.create(
                    agent_id=agent_id,
                    prompt=prompt,
                    timeout=timeout,
                    resources=list(resources),
                    environment_id=environment_id,
                )
            )
            attempt_started = datetime.now(UTC)
            try:
                ack = await asyncio.shield(request)
            except asyncio.CancelledError:
                # The server may have created the session already: learn its id, so that
                # the caller's close() deletes it instead of leaving it running.
                late = await _late_result(request)
                if late is not None:
                    self._adopt(str(late.id))
                else:
                    await self.gate.release(finished=False)
                raise
            except RateLimitError as exc:
                self.gate.on_rate_limited(exc.limit, exc.active)
                await self.gate.release(finished=False)
                await asyncio.sleep(self.gate.backoff(limited))
                limited += 1
                continue
            except (ValueError, AnswerRefused):  # not a readable ack: it may have made one
                self._ambiguous(resources, attempt_started)
                await self.gate.release(finished=False)
                raise
            except (ServerError, httpx.TransportError) as exc:
                if isinstance(exc, httpx.TransportError) and not isinstance(
                    exc, httpx.ConnectError
                ):  # the request may have reached the server: look for it at the end
                    self._ambiguous(resources, attempt_started)
                await self.gate.release(finished=False)
                errors += 1
                if errors >= CREATE_RETRIES:
                    raise
                await asyncio.sleep(self.gate.backoff(errors))
                continue
            except BaseException:
                await self.gate.release(finished=False)
                raise
            return self._adopt(str(ack.id))

    def _ambiguous(self, resources: Sequence[dict[str, Any]], started: datetime) -> None:
        urls = frozenset(str(r.get("url", "")) for r in resources)
        self.registry.ambiguous.append(AmbiguousCreate(urls, started, datetime.now(UTC)))

    def _adopt(self, session_id: str) -> str:
        self._holding_slot = True
        self.id = session_id
        self.registry.open.add(session_id)
        self.registry.known.add(session_id)
        self.turns = 1
        return session_id

    async def read(self, on_turn_start: Callable[[], None] | None = None) -> TurnOutput:
        """Follow the current turn to its end."""
        assert self.id is not None
        self._finished = False
        output = await read_turn(
            self.http,
            self.id,
            since=self.cursor,
            turn=self.turns,
            max_output=MAX_SESSION_OUTPUT_CHARS - self.output_size,
            on_turn_start=on_turn_start,
        )
        self.output_size += output.size
        self.cursor = output.last_id
        self._finished = output.end != "stale"
        return output

    async def prompt(self, text: str, timeout: int) -> None:
        """Start the next turn (only a completed session accepts one).

        A 409 right after the stream's terminal event can be the session row catching up,
        and a 5xx or a broken connection is transient: both are retried a few times. After a
        broken connection a 409 means the lost request did start the turn.
        """
        assert self.id is not None
        maybe_sent = False
        for attempt in range(PROMPT_RETRIES):
            try:
                await self.client.sessions.prompt(self.id, prompt=text, timeout=timeout)
                break
            except ConflictError:
                if maybe_sent:
                    break
                if attempt == PROMPT_RETRIES - 1:
                    raise
            except (ServerError, httpx.TransportError) as exc:
                lost = isinstance(exc, httpx.TransportError)
                maybe_sent = maybe_sent or (lost and not isinstance(exc, httpx.ConnectError))
                if attempt == PROMPT_RETRIES - 1:
                    raise
            await asyncio.sleep(self.gate.backoff(attempt))
        self.turns += 1

    async def close(self) -> None:
        """Terminate if still active, delete, release the slot; survives cancellation."""
        if self.id is None:
            return
        task = asyncio.ensure_future(self._close())
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            await asyncio.wait_for(asyncio.shield(task), CLOSE_TIMEOUT + 5)
            raise

    async def _close(self) -> None:
        session_id = self.id
        assert session_id is not None
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await delete_session(self.client, session_id, terminate_first=not self._finished)
            self.registry.open.discard(session_id)
        except (TimeoutError, httpx.HTTPError, AodHTTPError, ValueError) as exc:
            # Cleanup never crashes a repository's result; the final sweep tries again.
            log.warning("could not delete session %s: %s", session_id, exc)
        finally:
            if self._holding_slot:
                self._holding_slot = False
                await self.gate.release()


async def _late_result(request: asyncio.Future[Any]) -> Any:
    """The result of a create whose caller was cancelled, if it arrives in time."""
    try:
        return await asyncio.wait_for(request, CLOSE_TIMEOUT)
    except Exception:
        return None


async def delete_session(client: AsyncClient, session_id: str, *, terminate_first: bool) -> None:
    """Delete a session, terminating it first when it may still be active.

    Conflicts, 5xx and broken connections are retried; a request that timed out is not:
    every try would wait out the whole bound again (the end-of-batch sweep tries once more).
    """
    delay = 0.05
    for attempt in range(8):
        if terminate_first or attempt > 0:
            try:
                await client.sessions.terminate(session_id)
            except ConflictError:
                pass  # already terminated
            except NotFoundError:
                return
        try:
            await client.sessions.delete(session_id)
            return
        except NotFoundError:
            return
        except httpx.TimeoutException:
            raise
        except (ConflictError, ServerError, httpx.TransportError):
            await asyncio.sleep(delay)
            delay = min(2.0, delay * 2)
    await client.sessions.delete(session_id)
