"""aodfix's stream reader: across turns, against both ways a server may end a turn, and across
dropped connections."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from aod import AsyncClient

from aodfix.agent.raw_http import raw_http
from aodfix.agent.sse import read_turn
from aodfix.emulator.aod import AodEmulator

STREAM = "GET /sessions/{id}/stream"


def _prompt(word: str) -> str:
    return f"Say it.\n\n```bash\necho {word}\n```\n"


async def _replayed_stdout(client: AsyncClient, session_id: str) -> str:
    """The session's stdout as the SDK's own reader replays it, in one connection."""
    parts: list[str] = []
    async with client.sessions.stream(session_id) as events:
        async for event in events:
            if event.type == "output" and event.extra["stream"] == "stdout":
                parts.append(event.extra["data"])
            if event.type in ("exit", "error", "terminated", "stale"):
                break
    return "".join(parts)


@pytest.mark.parametrize("terminal_events", ["synthesized", "stored"])
async def test_a_later_turn_ends_with_its_own_ending_not_the_previous_turns(
    make_aod_emulator: Callable[..., AodEmulator], tmp_path: Path, terminal_events: str
) -> None:
    emulator = make_aod_emulator(terminal_events=terminal_events)
    async with AsyncClient(base_url=emulator.url, token=emulator.token) as client:
        ack = await client.sessions.create(
            agent_id=emulator.create_agent(), prompt=_prompt("first-turn-word")
        )
        http = raw_http(client)
        first = await read_turn(http, str(ack.id), turn=1)
        assert (first.end, first.exit_code) == ("exit", 0)
        assert "first-turn-word" in first.stdout
        await client.sessions.prompt(ack.id, prompt=_prompt("second-turn-word"), timeout=60)
        # Read at once: the previous turn's ending may still be what the server shows.
        second = await read_turn(http, str(ack.id), since=first.last_id, turn=2)
        assert (second.end, second.exit_code) == ("exit", 0)
        assert second.turn == 2
        assert "second-turn-word" in second.stdout and "first-turn-word" not in second.stdout
        await client.sessions.delete(ack.id)


async def test_a_dropped_connection_is_resumed_with_nothing_lost_or_repeated(
    make_aod_emulator: Callable[..., AodEmulator],
) -> None:
    # Cut during provisioning: stage rows are the only ones whose count is fixed (output
    # chunking depends on timing).
    emulator = make_aod_emulator(scenario={"default": {"drop_stream_after": 8}})
    async with AsyncClient(base_url=emulator.url, token=emulator.token) as client:
        ack = await client.sessions.create(
            agent_id=emulator.create_agent(), prompt="Count.\n\n```bash\nseq 1 3\n```\n"
        )
        turn = await read_turn(raw_http(client), str(ack.id))
        assert emulator.stats.requests[STREAM] == 2  # the dropped connection and one resume
        full = await _replayed_stdout(client, str(ack.id))
    assert (turn.end, turn.exit_code) == ("exit", 0)
    assert turn.stdout == full
