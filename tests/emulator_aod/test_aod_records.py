"""Record shapes: the SDK 0.1.0 era's ``runtime`` and today's ``provider``."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pydantic
import pytest
from aodkit import bash_prompt, connect, read_turn, stdout_of, tool_results

from aodfix.emulator.aod import AodEmulator


def _http(emulator: AodEmulator) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {emulator.token}"}
    return httpx.AsyncClient(base_url=emulator.url, headers=headers)


async def test_sdk010_records_name_the_runtime_and_the_sdk_parses_them(
    aod_emulator: AodEmulator,
) -> None:
    async with connect(aod_emulator) as client:
        agent = await client.agents.create(
            name="fixer", model="claude-sonnet-4-6", runtime="claude"
        )
        assert agent.runtime == "claude"
        assert [a.id for a in await client.agents.list()] == [agent.id]
        assert (await client.agents.get(agent.id)).name == "fixer"
        ack = await client.sessions.create(agent_id=agent.id, prompt="x")
        events = await read_turn(client, str(ack.id))
        assert events[0].extra["runtime"] == "claude"
        session = await client.sessions.get(ack.id)
        assert session.runtime == "claude"
    async with _http(aod_emulator) as http:
        raw = (await http.get(f"/sessions/{ack.id}")).json()
    assert "provider" not in raw


async def test_current_records_name_the_provider_and_break_sdk010_reads(
    make_aod_emulator: Callable[..., AodEmulator],
) -> None:
    emulator = make_aod_emulator(record_shape="current")
    async with connect(emulator) as client:
        ack = await client.sessions.create(agent_id=emulator.create_agent(), prompt="x")
        events = await read_turn(client, str(ack.id))
        assert events[0].extra == {"provider": "anthropic", "session_id": str(ack.id)}
        with pytest.raises(pydantic.ValidationError, match="runtime"):
            await client.sessions.get(ack.id)
        with pytest.raises(pydantic.ValidationError, match="runtime"):
            await client.sessions.list()
        await client.sessions.delete(ack.id)  # acks and deletes still work
    async with _http(emulator) as http:
        agents = (await http.get("/agents")).json()["data"]
    assert agents[0]["provider"] == "anthropic"
    assert "runtime" not in agents[0]


async def test_current_agent_creation_wants_provider_and_ignores_runtime(
    make_aod_emulator: Callable[..., AodEmulator],
) -> None:
    emulator = make_aod_emulator(record_shape="current")
    async with _http(emulator) as http:
        sdk010_body = {"name": "a", "model": "claude-sonnet-4-6", "runtime": "claude"}
        refused = await http.post("/agents", json=sdk010_body)
        assert refused.status_code == 422
        [error] = refused.json()["detail"]
        assert (error["type"], error["loc"]) == ("missing", ["provider"])

        body = {"name": "a", "model": "anthropic/claude-sonnet-4-6", "provider": "anthropic"}
        created = await http.post("/agents", json=body)
        assert created.status_code == 201
        assert created.json()["model"] == "claude-sonnet-4-6"

        mismatch = {**body, "model": "openai/gpt-5"}
        response = await http.post("/agents", json=mismatch)
        assert response.status_code == 422
        assert response.json() == {
            "detail": "Model provider prefix 'openai' does not match provider 'anthropic'"
        }
        unknown = await http.post("/agents", json={**body, "provider": "acme"})
        assert unknown.json()["detail"] == (
            "Unknown provider: acme. Must be one of: ['anthropic', 'openai']"
        )


async def test_turn_records_carry_prompt_status_and_times(
    aod_emulator: AodEmulator, agent_id: str
) -> None:
    async with connect(aod_emulator) as client:
        ack = await client.sessions.create(agent_id=agent_id, prompt="the task")
        await read_turn(client, str(ack.id))
        [turn] = await client.sessions.turns(ack.id)
    assert (turn.turn_number, turn.prompt, turn.status, turn.exit_code) == (
        1,
        "the task",
        "completed",
        0,
    )
    assert turn.started_at is not None and turn.ended_at is not None
    assert turn.created_at <= turn.started_at <= turn.ended_at


async def test_environment_variables_reach_the_agent_but_never_a_response(
    aod_emulator: AodEmulator,
) -> None:
    async with connect(aod_emulator) as client:
        environment = await client.environments.create(
            name="prod", env_vars={"API_KEY": "secret-value"}, packages={"apt": ["jq"]}
        )
        assert (await client.environments.get(environment.id)).packages == {"apt": ["jq"]}
        ack = await client.sessions.create(
            agent_id=aod_emulator.create_agent(),
            prompt=bash_prompt('echo "$API_KEY"'),
            environment_id=environment.id,
        )
        assert ack.environment_id == environment.id
        output = tool_results(stdout_of(await read_turn(client, str(ack.id))))[0]["content"]
        assert output == "secret-value\n"
    async with _http(aod_emulator) as http:
        raw = await http.get(f"/environments/{environment.id}")
        duplicate = await http.post("/environments", json={"name": "prod"})
    assert "secret-value" not in raw.text
    assert raw.json()["networking"] == {"type": "unrestricted"}
    assert duplicate.status_code == 409
    assert duplicate.json() == {"detail": "An active environment named 'prod' already exists"}
