"""The per-user cap on active sessions (429) and the create faults."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aod.errors import RateLimitError, ServerError
from aodkit import connect, read_turn, wait_for_output

from aodfix.emulator.aod import AodEmulator


async def test_creating_past_the_cap_answers_429_with_limit_and_active(
    make_aod_emulator: Callable[..., AodEmulator],
) -> None:
    emulator = make_aod_emulator(max_active=2, scenario={"default": {"hang": True}})
    agent = emulator.create_agent()
    async with connect(emulator) as client:
        first = await client.sessions.create(agent_id=agent, prompt="x")
        second = await client.sessions.create(agent_id=agent, prompt="x")
        with pytest.raises(RateLimitError) as caught:
            await client.sessions.create(agent_id=agent, prompt="x")
        assert (caught.value.limit, caught.value.active) == (2, 2)
        assert caught.value.detail == (
            "Concurrent session limit reached (2/2)."
            " Terminate an active session before starting a new one."
        )
        assert emulator.stats.active == 2

        await client.sessions.terminate(first.id)  # terminated no longer counts
        third = await client.sessions.create(agent_id=agent, prompt="x")
        for ack in (second, third):
            await client.sessions.terminate(ack.id)
        for ack in (first, second, third):
            await client.sessions.delete(ack.id)
    assert emulator.stats.peak_active == 2
    assert emulator.stats.created == 3
    assert emulator.stats.requests["POST /sessions"] == 4


async def test_finished_sessions_do_not_count_and_other_users_have_their_own_cap(
    make_aod_emulator: Callable[..., AodEmulator],
) -> None:
    emulator = make_aod_emulator(max_active=1, tokens=("aod_user_one", "aod_user_two"))
    async with connect(emulator, "aod_user_one") as one, connect(emulator, "aod_user_two") as two:
        done = await one.sessions.create(agent_id=emulator.create_agent(), prompt="x")
        await read_turn(one, str(done.id))  # completed: holds a sandbox, not a slot
        other = await two.sessions.create(
            agent_id=emulator.create_agent(token="aod_user_two"), prompt="x"
        )
        again = await one.sessions.create(agent_id=emulator.create_agent(), prompt="x")
        for client, ack in ((one, done), (two, other), (one, again)):
            await read_turn(client, str(ack.id))
            await client.sessions.delete(ack.id)


async def test_a_rate_limit_storm_answers_429_whatever_the_count(
    aod_emulator: AodEmulator, agent_id: str
) -> None:
    aod_emulator.faults.rate_limit_storm(2)
    async with connect(aod_emulator) as client:
        for _ in range(2):
            with pytest.raises(RateLimitError) as caught:
                await client.sessions.create(agent_id=agent_id, prompt="x")
            assert (caught.value.limit, caught.value.active) == (100, 0)
        ack = await client.sessions.create(agent_id=agent_id, prompt="x")
        await wait_for_output(client, str(ack.id))
    assert aod_emulator.stats.created == 1


async def test_server_errors_on_create_come_first_then_pass(
    aod_emulator: AodEmulator, agent_id: str
) -> None:
    aod_emulator.server_error_on_create(2, status=502)
    async with connect(aod_emulator) as client:
        for _ in range(2):
            with pytest.raises(ServerError) as caught:
                await client.sessions.create(agent_id=agent_id, prompt="x")
            assert caught.value.status_code == 502
        await client.sessions.create(agent_id=agent_id, prompt="x")
    assert aod_emulator.stats.created == 1
