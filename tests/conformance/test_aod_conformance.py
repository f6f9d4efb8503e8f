"""Every operation the AoD emulator serves, success and error answers, against
tests/conformance/aod_schema.yaml in both record eras; and aod-sdk 0.1.0, sync and async,
parsing every answer of the era it was written for."""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from uuid import uuid4

import pytest
from aod import AsyncClient, Client
from aod.errors import AuthError, ConflictError, NotFoundError, RateLimitError, ValidationError
from aod.models import StreamEvent
from aodspec import RECORD_SHAPES, AodChecker, Era, validate
from jsonschema import ValidationError as SchemaError

from aodfix.emulator.aod import AodEmulator

T = TypeVar("T")
MODEL = "claude-sonnet-4-6"
PROMPT = "Count.\n\n```bash\nseq 1 3\n```\n"
BROKEN_CLONE = {  # a resource whose clone fails: provisioning fails, after git_credentials
    "type": "github_repository",
    "url": "file:///nonexistent/acme/api.git",
    "authorization_token": "ghp_never_echoed",
}
LIMITED = {"type": "limited", "allowed_hosts": ["pypi.org"]}
SILENT = {"default": {"stale": 0.3}}  # the agent goes quiet; streams say stale after 0.3 s
SLOW_SECOND_TURN = {"default": {"turns": {2: {"delay": 0.3}}}}  # a window to conflict in


def _wait_until_running(api: AodChecker, session_id: str) -> None:
    deadline = time.monotonic() + 30
    while api.call("GET", f"/sessions/{session_id}", 200, "session")["status"] != "running":
        assert time.monotonic() < deadline, "the session never ran"
        time.sleep(0.02)


def _drive_agents_and_environments(api: AodChecker) -> tuple[str, str]:
    kind = {"runtime": "claude"} if api.era == "runtime" else {"provider": "anthropic"}
    body = {"name": "fixer", "model": MODEL, "description": "Fixes things", **kind}
    api.call("GET", "/health", 200, "health", token=None)
    api.call("POST", "/health", 405, None, token=None)
    for operation in api.emulator.served_routes:
        method, path = operation.split(" ")
        if path != "/health":  # every other operation wants a valid token
            api.call(method, path.replace("{id}", str(uuid4())), 401, "error", token="aod_wrong")
    agent = api.call("POST", "/agents", 201, "agent", json=body)["id"]
    api.call("POST", "/agents", 422, "validation_error", json={"model": MODEL, **kind})
    wrong_kind = {key: "acme" for key in kind}  # an unknown runtime or provider
    api.call("POST", "/agents", 422, "error", json={**body, **wrong_kind})
    api.call("POST", "/agents", 400, "error", content=b"{not json")
    api.call("POST", "/agents", 404, "error", json={**body, "environment_id": str(uuid4())})
    api.call("PATCH", "/agents", 405, "error")
    api.call("GET", "/agents", 200, "list:agent")
    api.call("GET", f"/agents/{agent}", 200, "agent")
    api.call("GET", f"/agents/{uuid4()}", 404, "error")

    packages = {"pip": ["ruff"]}
    created = {"name": "ci", "packages": packages, "env_vars": {"KEY": "v"}, "networking": LIMITED}
    environment = api.call("POST", "/environments", 201, "environment", json=created)["id"]
    api.call("POST", "/environments", 201, "environment", json={"name": "plain"})
    api.call("POST", "/environments", 409, "error", json={"name": "ci"})
    bad_manager = {"name": "x", "packages": {"brew": ["jq"]}}
    api.call("POST", "/environments", 422, "validation_error", json=bad_manager)
    api.call("GET", "/environments", 200, "list:environment")
    api.call("GET", f"/environments/{environment}", 200, "environment")
    api.call("GET", f"/environments/{uuid4()}", 404, "error")
    return agent, environment


def _drive_creates(api: AodChecker, agent: str, environment: str) -> str:
    """Session creation's answers; returns the id of a session that ran one turn."""
    create = {"agent_id": agent, "prompt": PROMPT, "environment_id": environment}
    session = api.call("POST", "/sessions", 202, "created_ack", json=create)["id"]
    api.call("POST", "/sessions", 404, "error", json={"agent_id": str(uuid4()), "prompt": "x"})
    api.call("POST", "/sessions", 404, "error", json={**create, "environment_id": str(uuid4())})
    api.call("POST", "/sessions", 422, "validation_error", json={**create, "timeout": 5})
    not_github = {"type": "github_repository", "url": "https://gitlab.com/acme/api"}
    api.call(
        "POST", "/sessions", 422, "validation_error", json={**create, "resources": [not_github]}
    )
    api.emulator.rate_limit_storm(1)
    api.call("POST", "/sessions", 429, "rate_limited", json=create)
    api.emulator.server_error_on_create(1)
    api.call("POST", "/sessions", 503, "error", json=create)
    api.call("PATCH", "/sessions", 405, "error")
    return str(session)


def _drive_a_two_turn_session(api: AodChecker, session: str) -> None:
    first = api.stream(session)
    assert first[-1] == {"type": "exit", "id": first[-2]["id"], "code": 0}
    api.call("GET", f"/sessions/{session}/stream", 400, "error", params={"since": "x"})
    api.call("GET", f"/sessions/{uuid4()}/stream", 404, "error")
    api.call("POST", f"/sessions/{session}/stream", 405, None)
    api.call("GET", f"/sessions/{session}", 200, "session")
    api.call("GET", f"/sessions/{uuid4()}", 404, "error")
    api.call("DELETE", f"/sessions/{session}", 405, None)
    api.call("GET", "/sessions", 200, "list:session")
    api.call("POST", f"/sessions/{session}/prompt", 422, "validation_error", json={})
    api.call("POST", f"/sessions/{session}/prompt", 400, "error", content=b"nope")
    api.call("POST", f"/sessions/{uuid4()}/prompt", 404, "error", json={"prompt": "x"})
    api.call("POST", f"/sessions/{session}/prompt", 202, "prompted_ack", json={"prompt": PROMPT})
    api.call("POST", f"/sessions/{session}/prompt", 409, "error", json={"prompt": PROMPT})
    assert api.stream(session, since=first[-1]["id"])[-1]["type"] == "exit"
    turns = api.call("GET", f"/sessions/{session}/turns", 200, "list:turn")["data"]
    assert [turn["turn_number"] for turn in turns] == [1, 2]
    api.call("GET", f"/sessions/{uuid4()}/turns", 404, "error")
    api.call("POST", f"/sessions/{session}/turns", 405, None)
    api.call("POST", f"/sessions/{session}/terminate", 200, "terminated_ack")
    api.call("POST", f"/sessions/{session}/terminate", 409, "error")
    api.call("POST", f"/sessions/{uuid4()}/terminate", 404, "error")
    assert api.stream(session)[-1]["type"] == "terminated"
    api.call("POST", f"/sessions/{session}/prompt", 409, "error", json={"prompt": PROMPT})
    api.call("POST", f"/sessions/{session}/delete", 405, "error")
    api.call("DELETE", f"/sessions/{session}/delete", 200, "deleted")
    api.call("DELETE", f"/sessions/{session}/delete", 404, "error")


def _drive_failed_and_silent_sessions(api: AodChecker, agent: str) -> None:
    broken = {"agent_id": agent, "prompt": "x", "resources": [BROKEN_CLONE]}
    failed = api.call("POST", "/sessions", 202, "created_ack", json=broken)["id"]
    events = api.stream(failed)
    assert [e["stage"] for e in events if e["type"] == "stage"][-2:] == ["provision_setup"] * 2
    assert events[-1]["type"] == "error"
    assert api.call("GET", f"/sessions/{failed}", 200, "session")["status"] == "failed"
    api.call("POST", f"/sessions/{failed}/prompt", 409, "error", json={"prompt": "x"})

    api.emulator.set_scenario(SILENT)
    silent = api.call("POST", "/sessions", 202, "created_ack", json={**broken, "resources": []})
    api.emulator.set_scenario(None)
    _wait_until_running(api, silent["id"])
    api.call("POST", f"/sessions/{silent['id']}/prompt", 409, "error", json={"prompt": "x"})
    api.call("DELETE", f"/sessions/{silent['id']}/delete", 409, "error")
    assert api.stream(silent["id"])[-1]["type"] == "stale"
    api.call("POST", f"/sessions/{silent['id']}/terminate", 200, "terminated_ack")


@pytest.mark.parametrize("era", ["runtime", "provider"])
def test_every_answer_matches_the_schema(
    era: Era, make_aod_emulator: Callable[..., AodEmulator]
) -> None:
    emulator = make_aod_emulator(record_shape=RECORD_SHAPES[era], scenario=SLOW_SECOND_TURN)
    api = AodChecker(emulator, era)
    try:
        agent, environment = _drive_agents_and_environments(api)
        _drive_a_two_turn_session(api, _drive_creates(api, agent, environment))
        _drive_failed_and_silent_sessions(api, agent)
    finally:
        api.close()
    for operation in emulator.served_routes:
        statuses = api.answered[operation]
        assert any(s < 300 for s in statuses), f"{operation} never answered a success"
        if operation != "GET /health":  # the one operation with no error answer
            assert any(s >= 400 for s in statuses), f"{operation} never answered an error"


# --- aod-sdk 0.1.0 ------------------------------------------------------------------------------


async def _done(value: T | Awaitable[T]) -> T:
    """One flow for both clients: the async client's calls are awaited, the sync one's not."""
    if inspect.isawaitable(value):
        return await value
    return value


async def _events(client: Client | AsyncClient, session_id: Any) -> list[StreamEvent]:
    """One connection's events, as the SDK parses them, until the emulator closes it."""
    if isinstance(client, AsyncClient):
        async with client.sessions.stream(session_id) as stream:
            return [event async for event in stream]
    with client.sessions.stream(session_id) as events:
        return list(events)


async def _sdk_flow(client: Client | AsyncClient, emulator: AodEmulator) -> None:
    assert (await _done(client.health()))["status"] == "ok"
    agent = await _done(client.agents.create(name="fixer", model=MODEL, runtime="claude"))
    assert [a.id for a in await _done(client.agents.list())] == [agent.id]
    assert (await _done(client.agents.get(agent.id))).runtime == "claude"
    with pytest.raises(NotFoundError):
        await _done(client.agents.get(uuid4()))
    with pytest.raises(ValidationError):
        await _done(client.agents.create(name="x", model=MODEL, runtime="acme"))

    env = await _done(
        client.environments.create(name="ci", env_vars={"K": "v"}, networking=LIMITED)
    )
    assert env.networking.allowed_hosts == LIMITED["allowed_hosts"]
    assert [e.id for e in await _done(client.environments.list())] == [env.id]
    assert (await _done(client.environments.get(env.id))).name == "ci"
    with pytest.raises(ConflictError):
        await _done(client.environments.create(name="ci"))

    ack = await _done(
        client.sessions.create(agent_id=agent.id, prompt=PROMPT, environment_id=env.id)
    )
    assert (ack.status, ack.current_turn, ack.environment_id) == ("pending", 1, env.id)
    first = await _events(client, ack.id)
    assert (first[0].type, first[-1].type, first[-1].extra) == ("start", "exit", {"code": 0})
    assert (await _done(client.sessions.get(ack.id))).status == "completed"
    assert [s.id for s in await _done(client.sessions.list())] == [ack.id]
    assert (await _done(client.sessions.prompt(ack.id, prompt=PROMPT))).current_turn == 2
    with pytest.raises(ConflictError):
        await _done(client.sessions.prompt(ack.id, prompt=PROMPT))
    assert (await _events(client, ack.id))[-1].type == "exit"
    turns = await _done(client.sessions.turns(ack.id))
    assert [(t.turn_number, t.status) for t in turns] == [(1, "completed"), (2, "completed")]
    assert (await _done(client.sessions.terminate(ack.id))).status == "terminated"
    with pytest.raises(ConflictError):
        await _done(client.sessions.terminate(ack.id))
    assert (await _events(client, ack.id))[-1].type == "terminated"
    assert await _done(client.sessions.delete(ack.id)) is None
    with pytest.raises(NotFoundError):
        await _done(client.sessions.get(ack.id))
    with pytest.raises(NotFoundError):
        await _events(client, ack.id)

    broken = await _done(
        client.sessions.create(agent_id=agent.id, prompt="x", resources=[BROKEN_CLONE])
    )
    assert broken.resources[0].url == "file:///nonexistent/acme/api"
    failed = await _events(client, broken.id)
    assert {"stage", "output", "error"} <= {event.type for event in failed}
    assert (await _done(client.sessions.get(broken.id))).exit_code is None
    emulator.set_scenario(SILENT)
    silent = await _done(client.sessions.create(agent_id=agent.id, prompt="x"))
    emulator.set_scenario(None)
    assert (await _events(client, silent.id))[-1].type == "stale"
    await _done(client.sessions.terminate(silent.id))
    emulator.rate_limit_storm(1)
    with pytest.raises(RateLimitError) as limited:
        await _done(client.sessions.create(agent_id=agent.id, prompt="x"))
    assert (limited.value.limit, limited.value.active) == (100, 0)


@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_sdk010_parses_every_runtime_era_answer(
    flavour: str, make_aod_emulator: Callable[..., AodEmulator]
) -> None:
    emulator = make_aod_emulator(scenario=SLOW_SECOND_TURN)
    if flavour == "sync":
        with Client(base_url=emulator.url, token=emulator.token) as client:
            await _sdk_flow(client, emulator)
        with Client(base_url=emulator.url, token="aod_wrong") as stranger, pytest.raises(AuthError):
            stranger.agents.list()
    else:
        async with AsyncClient(base_url=emulator.url, token=emulator.token) as client:
            await _sdk_flow(client, emulator)
        async with AsyncClient(base_url=emulator.url, token="aod_wrong") as stranger:
            with pytest.raises(AuthError):
                await stranger.agents.list()
    missing = set(emulator.served_routes) - set(emulator.stats.requests)
    assert not missing, f"operations the SDK never called: {sorted(missing)}"


@pytest.mark.parametrize("definition", ["agent_runtime", "session_provider", "start_runtime"])
def test_schema_tells_the_eras_apart(definition: str) -> None:
    wrong_era = {"runtime": "claude", "provider": "anthropic"}
    with pytest.raises(SchemaError):
        validate(definition, wrong_era)
