"""409s: which state refuses which call, with the service's own messages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aod import AsyncClient
from aod.errors import ConflictError
from aodkit import connect, make_origin, read_turn, wait_for_output

from aodfix.emulator.aod import AodEmulator


async def _conflict(call: Awaitable[object]) -> str:
    with pytest.raises(ConflictError) as caught:
        await call
    return str(caught.value.detail)


@pytest.fixture
def emulator(make_aod_emulator: Callable[..., AodEmulator]) -> AodEmulator:
    scenario = {"default": {"exit_code": 3}, "acme/hang": {"hang": True}}
    return make_aod_emulator(scenario=scenario)


async def test_a_running_session_refuses_prompt_and_delete_until_terminated(
    emulator: AodEmulator, tmp_path: Path
) -> None:
    origin = make_origin(tmp_path, "acme/hang")
    async with connect(emulator) as client:
        ack = await client.sessions.create(
            agent_id=emulator.create_agent(),
            prompt="hang",
            resources=[{"type": "github_repository", "url": origin}],
        )
        await wait_for_output(client, str(ack.id))
        prompt = client.sessions.prompt(ack.id, prompt="more")
        assert await _conflict(prompt) == "Session is already running"
        delete = client.sessions.delete(ack.id)
        assert await _conflict(delete) == "Cannot delete an active session"

        assert (await client.sessions.terminate(ack.id)).status == "terminated"
        again = client.sessions.terminate(ack.id)
        assert await _conflict(again) == "Session is already terminated"
        prompt = client.sessions.prompt(ack.id, prompt="more")
        assert await _conflict(prompt) == "Session has been terminated"
        await client.sessions.delete(ack.id)


async def test_a_pending_session_refuses_prompt_and_delete(emulator: AodEmulator) -> None:
    async with connect(emulator) as client:
        slow = await client.environments.create(name="slow", setup_script="sleep 60")
        ack = await client.sessions.create(
            agent_id=emulator.create_agent(), prompt="x", environment_id=slow.id
        )
        assert (await client.sessions.get(ack.id)).status == "pending"
        prompt = client.sessions.prompt(ack.id, prompt="more")
        assert await _conflict(prompt) == "Session already has a pending turn"
        delete = client.sessions.delete(ack.id)
        assert await _conflict(delete) == "Cannot delete an active session"
        await client.sessions.terminate(ack.id)
        events = await read_turn(client, str(ack.id))
        assert events[-1].type == "terminated"
        await client.sessions.delete(ack.id)


async def test_a_failed_session_cannot_be_resumed_but_can_be_terminated(
    emulator: AodEmulator,
) -> None:
    async with connect(emulator) as client:
        ack = await client.sessions.create(agent_id=emulator.create_agent(), prompt="x")
        events = await read_turn(client, str(ack.id))
        assert events[-1].type == "exit"
        assert events[-1].extra == {"code": 3}
        session = await client.sessions.get(ack.id)
        assert (session.status, session.exit_code) == ("failed", 3)
        prompt = client.sessions.prompt(ack.id, prompt="more")
        assert await _conflict(prompt) == (
            "Session has failed and cannot be resumed. Start a new session."
        )
        assert (await client.sessions.terminate(ack.id)).status == "terminated"
        await client.sessions.delete(ack.id)


async def test_a_completed_session_can_be_terminated(client: AsyncClient, agent_id: str) -> None:
    ack = await client.sessions.create(agent_id=agent_id, prompt="x")
    await read_turn(client, str(ack.id))
    assert (await client.sessions.terminate(ack.id)).status == "terminated"
    assert (await client.sessions.get(ack.id)).exit_code == 0
    events = await read_turn(client, str(ack.id))
    assert events[-1].type == "terminated"
    assert events[-1].extra == {"message": "Session terminated"}
