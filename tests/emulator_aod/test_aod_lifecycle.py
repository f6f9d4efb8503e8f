"""A session's life through aod-sdk: create, stream, more turns, delete."""

from __future__ import annotations

from collections.abc import Callable

from aod import AsyncClient
from aodkit import (
    bash_prompt,
    head_of,
    read_turn,
    repository,
    result_line,
    stdout_of,
    tool_results,
    tool_uses,
)

from aodfix.emulator.aod import AodEmulator
from aodfix.patch import PatchFound, extract_patch, finishing_instructions


async def test_session_streams_to_exit_takes_a_second_turn_and_is_deleted(
    aod_emulator: AodEmulator, client: AsyncClient, agent_id: str, origin: str
) -> None:
    ack = await client.sessions.create(
        agent_id=agent_id, prompt=bash_prompt("echo one"), resources=[repository(origin)]
    )
    assert ack.status == "pending"
    assert ack.stream_url == f"/sessions/{ack.id}/stream"
    assert ack.current_turn == 1
    [resource] = ack.resources
    assert resource.url == origin.removesuffix(".git")
    assert resource.mount_path == "/workspace/api"

    first = await read_turn(client, str(ack.id))
    assert first[0].type == "start"
    assert first[0].id is None
    kinds = [e.type for e in first]
    assert kinds.index("stage") < kinds.index("turn_start") < kinds.index("output")
    assert first[-1].type == "exit"
    assert first[-1].extra == {"code": 0}
    assert tool_results(stdout_of(first))[0]["content"] == "one\n"
    session = await client.sessions.get(ack.id)
    assert (session.status, session.exit_code, session.turn_count) == ("completed", 0, 1)

    second_ack = await client.sessions.prompt(ack.id, prompt=bash_prompt("echo two"), timeout=60)
    assert (second_ack.status, second_ack.current_turn) == ("pending", 2)
    second = await read_turn(client, str(ack.id), since=first[-1].id)
    assert [e.extra["turn"] for e in second if e.type == "turn_start"] == [2]
    assert tool_results(stdout_of(second))[0]["content"] == "two\n"
    assert second[-1].type == "exit"

    turns = await client.sessions.turns(ack.id)
    assert [(t.turn_number, t.status, t.exit_code) for t in turns] == [
        (1, "completed", 0),
        (2, "completed", 0),
    ]
    assert turns[1].prompt == bash_prompt("echo two")

    await client.sessions.delete(ack.id)
    assert aod_emulator.stats.undeleted == set()
    assert aod_emulator.stats.created == 1
    assert not list((aod_emulator.config.sessions_dir).iterdir())


async def test_a_replay_shows_every_turn_and_one_terminal_event(
    client: AsyncClient, agent_id: str, origin: str
) -> None:
    ack = await client.sessions.create(
        agent_id=agent_id, prompt="first", resources=[repository(origin)]
    )
    await read_turn(client, str(ack.id))
    await client.sessions.prompt(ack.id, prompt="second")
    await read_turn(client, str(ack.id))

    replay = await read_turn(client, str(ack.id), since=0)
    assert [e.extra["turn"] for e in replay if e.type == "turn_start"] == [1, 2]
    assert [e.type for e in replay].count("exit") == 1
    stages = [e.extra["stage"] for e in replay if e.type == "stage"]
    assert stages.count("runtime_start") == 2
    assert stages[0] == "create_sprite"


async def test_the_bash_block_runs_in_the_cloned_workspace_with_the_sandbox_home(
    client: AsyncClient, agent_id: str, origin: str
) -> None:
    command = (
        "cd /workspace/api && git rev-parse HEAD && cat src/app.py && pwd\n"
        'echo "home=$HOME" && touch /home/sprite/marker && ls ~/marker'
    )
    ack = await client.sessions.create(
        agent_id=agent_id, prompt=bash_prompt(command), resources=[repository(origin)]
    )
    stdout = stdout_of(await read_turn(client, str(ack.id)))

    [use] = tool_uses(stdout)
    assert use["name"] == "Bash"
    assert use["input"]["command"] == command
    [result] = tool_results(stdout)
    assert result["tool_use_id"] == use["id"]
    assert result["is_error"] is False
    assert result["content"].splitlines() == [
        head_of(origin),
        "def handler():",
        "    return 1",
        "/workspace/api",
        "home=/home/sprite",
        "/home/sprite/marker",
    ]
    assert result["details"]["stdout"] == result["content"]


async def test_the_scenario_edits_reach_the_collect_block_of_the_patch_protocol(
    make_aod_emulator: Callable[..., AodEmulator], origin: str
) -> None:
    scenario = {
        "acme/api": {
            "edits": [
                {"replace": "src/app.py", "old": "return 1", "new": "return 2"},
                {"write": "docs/new.md", "content": "# New\n"},
                {"write": "assets/blob.bin", "base64": "AAEC/w=="},
                {"delete": "data/old.txt"},
            ],
            "result": "Changed the handler.",
        }
    }
    emulator = make_aod_emulator(scenario=scenario)
    base = head_of(origin)
    prompt = "Change the handler." + finishing_instructions("/workspace/api", base, None, "k-1")
    async with AsyncClient(base_url=emulator.url, token=emulator.token) as client:
        ack = await client.sessions.create(
            agent_id=emulator.create_agent(), prompt=prompt, resources=[repository(origin)]
        )
        stdout = stdout_of(await read_turn(client, str(ack.id)))

    found = extract_patch(stdout)
    assert isinstance(found, PatchFound)
    assert found.base_sha == base
    patch = found.patch.decode()
    assert "-    return 1\n+    return 2" in patch
    assert "+# New" in patch
    assert "deleted file mode" in patch and "data/old.txt" in patch
    assert "GIT binary patch" in patch
    assert [u["name"] for u in tool_uses(stdout)] == ["Edit", "Write", "Bash", "Bash", "Bash"]
    assert result_line(stdout)["result"] == "Changed the handler."


async def test_the_sync_client_drives_a_session_too(
    aod_emulator: AodEmulator, agent_id: str, origin: str
) -> None:
    from aod import Client

    with Client(base_url=aod_emulator.url, token=aod_emulator.token) as client:
        ack = client.sessions.create(agent_id=agent_id, prompt="hi", resources=[])
        with client.sessions.stream(ack.id) as events:
            kinds = [e.type for e in events]
        assert kinds[0] == "start" and kinds[-1] == "exit"
        assert [s.id for s in client.sessions.list()] == [ack.id]
        client.sessions.delete(ack.id)
        assert client.sessions.list() == []


async def test_stored_endings_give_each_turn_its_own_terminal_event_with_its_own_id(
    make_aod_emulator: Callable[..., AodEmulator], origin: str
) -> None:
    emulator = make_aod_emulator(terminal_events="stored")
    async with AsyncClient(base_url=emulator.url, token=emulator.token) as client:
        ack = await client.sessions.create(
            agent_id=emulator.create_agent(), prompt="first", resources=[repository(origin)]
        )
        first = await read_turn(client, str(ack.id))
        await client.sessions.prompt(ack.id, prompt="second")
        await read_turn(client, str(ack.id), since=first[-1].id)

        # A connection from the start stops at turn 1's stored ending, as such a server does.
        replay = await read_turn(client, str(ack.id), since=0)
        assert replay[-1].type == "exit"
        assert replay[-1].id == first[-1].id
        ids = [e.id for e in replay if e.id is not None and e.type != "turn_start"]
        assert ids == sorted(set(ids))  # the ending's id is its own, not the last output's
        assert [e.extra["turn"] for e in replay if e.type == "turn_start"] == [1]
        await client.sessions.delete(ack.id)
