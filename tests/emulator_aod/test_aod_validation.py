"""Auth, routing and body validation: 400, 401, 404, 405 and 422 as the service answers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from aod import AsyncClient
from aod.errors import AuthError, NotFoundError
from aodkit import repository

from aodfix.emulator.aod import AodEmulator

UNKNOWN = "0000000a-0000-4000-8000-00000000000b"


@pytest.fixture
async def http(aod_emulator: AodEmulator) -> Any:
    headers = {"Authorization": f"Bearer {aod_emulator.token}"}
    async with httpx.AsyncClient(base_url=aod_emulator.url, headers=headers) as client:
        yield client


async def test_health_needs_no_token(aod_emulator: AodEmulator) -> None:
    async with httpx.AsyncClient(base_url=aod_emulator.url) as anonymous:
        response = await anonymous.get("/health")
        assert (response.status_code, response.json()) == (200, {"status": "ok"})
        assert (await anonymous.post("/health")).status_code == 405


@pytest.mark.parametrize("header", [None, "Bearer aod_invalid_key", "Token aod_emulator_token"])
async def test_everything_else_needs_a_valid_bearer_token(
    aod_emulator: AodEmulator, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    async with httpx.AsyncClient(base_url=aod_emulator.url, headers=headers) as client:
        for path in ("/agents", "/sessions", f"/sessions/{UNKNOWN}"):
            response = await client.get(path)
            assert response.status_code == 401
            assert response.json() == {"detail": "Invalid API key"}
    async with AsyncClient(base_url=aod_emulator.url, token="aod_wrong") as sdk:
        with pytest.raises(AuthError):
            await sdk.sessions.list()


async def test_another_users_session_is_not_found(
    make_aod_emulator: Any,
) -> None:
    emulator = make_aod_emulator(tokens=("aod_alice", "aod_bob"))
    async with AsyncClient(base_url=emulator.url, token="aod_alice") as alice:
        ack = await alice.sessions.create(agent_id=emulator.create_agent(), prompt="x")
    async with AsyncClient(base_url=emulator.url, token="aod_bob") as bob:
        with pytest.raises(NotFoundError, match="Session not found"):
            await bob.sessions.get(ack.id)
        with pytest.raises(NotFoundError, match="Agent not found"):
            await bob.sessions.create(agent_id=emulator.create_agent(), prompt="x")
        assert await bob.sessions.list() == []


async def test_unknown_ids_are_json_404s_and_unrouted_paths_plain_404s(
    http: httpx.AsyncClient, agent_id: str
) -> None:
    missing = await http.get(f"/sessions/{UNKNOWN}")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Session not found"})
    response = await http.post("/sessions", json={"agent_id": UNKNOWN, "prompt": "x"})
    assert response.json() == {"detail": "Agent not found"}
    body = {"agent_id": agent_id, "prompt": "x", "environment_id": UNKNOWN}
    response = await http.post("/sessions", json=body)
    assert (response.status_code, response.json()) == (404, {"detail": "Environment not found"})
    # Routing 404s are Django's plain pages: upper-case ids and trailing slashes do not match.
    for path in (f"/sessions/{UNKNOWN.upper()}", "/sessions/", f"/sessions/{UNKNOWN}/"):
        response = await http.get(path)
        assert response.status_code == 404
        assert "application/json" not in response.headers.get("content-type", "")


async def test_wrong_methods_answer_405_in_two_shapes(http: httpx.AsyncClient) -> None:
    decorated = await http.post(f"/sessions/{UNKNOWN}/stream")
    assert (decorated.status_code, decorated.content) == (405, b"")
    assert decorated.headers["allow"] == "GET"
    dispatched = await http.patch("/sessions")
    assert (dispatched.status_code, dispatched.json()) == (405, {"detail": "Method not allowed"})
    on_delete = await http.post(f"/sessions/{UNKNOWN}/delete")
    assert on_delete.json() == {"detail": "Method not allowed"}


async def test_a_body_that_is_not_json_is_a_400(http: httpx.AsyncClient) -> None:
    response = await http.post("/sessions", content=b"{nope")
    assert (response.status_code, response.json()) == (400, {"detail": "Invalid JSON"})


def _session(agent_id: str, **fields: Any) -> dict[str, Any]:
    return {"agent_id": agent_id, "prompt": "x", **fields}


@pytest.mark.parametrize(
    ("fields", "loc", "message"),
    [
        ({"timeout": 5}, ["timeout"], "Input should be greater than or equal to 10"),
        ({"timeout": 3601}, ["timeout"], "Input should be less than or equal to 3600"),
        (
            {"resources": [repository(f"https://github.com/acme/r{i}") for i in range(11)]},
            ["resources"],
            "Value error, Maximum 10 resources per session",
        ),
        (
            {"resources": [repository("https://gitlab.com/acme/api")]},
            ["resources", 0, "url"],
            "Value error, Must be a valid https://github.com/<owner>/<repo> URL",
        ),
        (
            {"resources": [repository("https://github.com/acme/api", mount_path="src")]},
            ["resources", 0, "mount_path"],
            "Value error, mount_path must be an absolute path",
        ),
        (
            {"resources": [repository("https://github.com/acme/api", mount_path="/home/sprite")]},
            ["resources", 0, "mount_path"],
            "Value error, mount_path must not be the Sprite root",
        ),
        (
            {
                "resources": [
                    repository("https://github.com/acme/api"),
                    repository("https://github.com/other/api.git"),
                ]
            },
            ["resources"],
            "Value error, Duplicate mount_path in resources",
        ),
    ],
)
async def test_invalid_session_bodies_are_422_lists(
    http: httpx.AsyncClient,
    agent_id: str,
    fields: dict[str, Any],
    loc: list[Any],
    message: str,
) -> None:
    response = await http.post("/sessions", json=_session(agent_id, **fields))
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["msg"]) == (loc, message)


async def test_a_missing_prompt_is_reported_by_field(http: httpx.AsyncClient) -> None:
    response = await http.post("/sessions", json={"agent_id": UNKNOWN})
    assert response.json()["detail"][0]["type"] == "missing"
    assert response.json()["detail"][0]["loc"] == ["prompt"]


async def test_github_urls_need_no_allow_list_and_strip_git(
    http: httpx.AsyncClient, agent_id: str
) -> None:
    # Accepted (the clone itself then fails offline, which is a provisioning failure).
    body = _session(agent_id, resources=[repository("https://github.com/acme/api.git")])
    response = await http.post("/sessions", json=body)
    assert response.status_code == 202
    assert response.json()["resources"] == [
        {
            "type": "github_repository",
            "url": "https://github.com/acme/api",
            "mount_path": "/workspace/api",
        }
    ]
