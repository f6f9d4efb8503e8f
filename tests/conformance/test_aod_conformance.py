"""The AoD emulator's agent and session records against tests/conformance/aod_schema.yaml,
in both record eras, and aod-sdk 0.1.0 (sync and async) parsing the era it targets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from aod import AsyncClient, Client
from jsonschema import Draft202012Validator, ValidationError

from aodfix.emulator.aod import AodEmulator

_SCHEMA = yaml.safe_load((Path(__file__).parent / "aod_schema.yaml").read_text())
Draft202012Validator.check_schema(_SCHEMA)


def _validate(definition: str, record: Any) -> None:
    schema = {**_SCHEMA, "$ref": f"#/$defs/{definition}"}
    Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(
        record
    )


def _records(emulator: AodEmulator, agent_body: dict[str, str]) -> dict[str, list[Any]]:
    """Every agent and session record the emulator answers with, by kind."""
    headers = {"Authorization": f"Bearer {emulator.token}"}
    with httpx.Client(base_url=emulator.url, headers=headers, timeout=30) as http:
        created = http.post("/agents", json=agent_body)
        assert created.status_code == 201, created.text
        agent = created.json()
        session_id = http.post("/sessions", json={"agent_id": agent["id"], "prompt": "x"}).json()[
            "id"
        ]
        return {
            "agent": [agent, http.get(f"/agents/{agent['id']}").json(), *_data(http, "/agents")],
            "session": [http.get(f"/sessions/{session_id}").json(), *_data(http, "/sessions")],
        }


def _data(http: httpx.Client, path: str) -> list[Any]:
    return list(http.get(path).json()["data"])


def test_runtime_era_records_match_the_schema(aod_emulator: AodEmulator) -> None:
    body = {"name": "fixer", "model": "claude-sonnet-4-6", "runtime": "claude"}
    records = _records(aod_emulator, body)
    for record in records["agent"]:
        _validate("agent_runtime", record)
    for record in records["session"]:
        _validate("session_runtime", record)


def test_provider_era_records_match_the_schema(
    make_aod_emulator: Callable[..., AodEmulator],
) -> None:
    emulator = make_aod_emulator(record_shape="current")
    body = {"name": "fixer", "model": "claude-sonnet-4-6", "provider": "anthropic"}
    records = _records(emulator, body)
    for record in records["agent"]:
        _validate("agent_provider", record)
    for record in records["session"]:
        _validate("session_provider", record)


def test_sync_sdk010_parses_every_runtime_era_answer(aod_emulator: AodEmulator) -> None:
    with Client(base_url=aod_emulator.url, token=aod_emulator.token) as client:
        agent = client.agents.create(name="fixer", model="claude-sonnet-4-6", runtime="claude")
        assert client.agents.get(agent.id).runtime == "claude"
        assert [a.id for a in client.agents.list()] == [agent.id]
        ack = client.sessions.create(agent_id=agent.id, prompt="x")
        assert client.sessions.get(ack.id).runtime == "claude"
        assert [s.id for s in client.sessions.list()] == [ack.id]


async def test_async_sdk010_parses_every_runtime_era_answer(aod_emulator: AodEmulator) -> None:
    async with AsyncClient(base_url=aod_emulator.url, token=aod_emulator.token) as client:
        agent = await client.agents.create(
            name="fixer", model="claude-sonnet-4-6", runtime="claude"
        )
        assert (await client.agents.get(agent.id)).runtime == "claude"
        assert [a.id for a in await client.agents.list()] == [agent.id]
        ack = await client.sessions.create(agent_id=agent.id, prompt="x")
        assert (await client.sessions.get(ack.id)).runtime == "claude"
        assert [s.id for s in await client.sessions.list()] == [ack.id]


@pytest.mark.parametrize("definition", ["agent_runtime", "session_provider"])
def test_schema_tells_the_eras_apart(definition: str) -> None:
    wrong_era = {"runtime": "claude", "provider": "anthropic"}
    with pytest.raises(ValidationError):
        _validate(definition, wrong_era)
