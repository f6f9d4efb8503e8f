"""aodfix's stream reader across turns, against both ways a server may end a turn."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from aod import AsyncClient

from aodfix.agent.raw_http import raw_http
from aodfix.agent.sse import read_turn
from aodfix.emulator.aod import AodEmulator


def _prompt(word: str) -> str:
    return f"Say it.\n\n```bash\necho {word}\n```\n"


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
        assert first.succeeded and "first-turn-word" in first.stdout
        await client.sessions.prompt(ack.id, prompt=_prompt("second-turn-word"), timeout=60)
        # Read at once: the previous turn's ending may still be what the server shows.
        second = await read_turn(http, str(ack.id), since=first.last_id, turn=2)
        assert second.succeeded
        assert second.turn == 2
        assert "second-turn-word" in second.stdout and "first-turn-word" not in second.stdout
        await client.sessions.delete(ack.id)
