"""Real sessions: clones, agent processes, per-turn timeouts, terminate and stop."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from aodkit import (
    bash_prompt,
    connect,
    raw_stream,
    read_turn,
    repository,
    stderr_of,
    stdout_of,
    tool_results,
    wait_for_output,
)

from aodfix.emulator.aod import AodEmulator

# Prints a line, then waits on a grandchild: both must die with the process group.
SLEEPER = ["bash", "-c", "sleep 300 & echo started; wait"]


def _members(pgid: int) -> list[int]:
    """Pids of live (non-zombie) processes in a process group, read from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def _wait_gone(pgid: int, timeout: float = 5.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := _members(pgid)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return left


async def test_a_hung_agent_past_its_timeout_fails_the_turn(
    make_aod_emulator: Callable[..., AodEmulator],
) -> None:
    emulator = make_aod_emulator(timeout_scale=0.05, scenario={"default": {"hang": True}})
    async with connect(emulator) as client:
        ack = await client.sessions.create(agent_id=emulator.create_agent(), prompt="x", timeout=10)
        events = await read_turn(client, str(ack.id))
        session = await client.sessions.get(ack.id)
        [turn] = await client.sessions.turns(ack.id)
    assert events[-1].type == "error"
    assert events[-1].extra == {"message": "Session failed"}
    assert stderr_of(events).endswith("turn failed: command timed out after 10s\n")
    assert (session.status, session.exit_code) == ("failed", None)
    assert (turn.status, turn.exit_code) == ("failed", None)
    assert emulator.process_groups() == []


async def test_terminate_kills_the_agents_whole_process_group(
    make_aod_emulator: Callable[..., AodEmulator],
) -> None:
    emulator = make_aod_emulator(agent_command=SLEEPER)
    async with connect(emulator) as client:
        ack = await client.sessions.create(agent_id=emulator.create_agent(), prompt="x")
        started = await wait_for_output(client, str(ack.id))
        assert stdout_of(started) == "started\n"
        [pgid] = emulator.process_groups(str(ack.id))
        assert len(_members(pgid)) == 2  # bash and its sleep
        await client.sessions.terminate(ack.id)
        assert _wait_gone(pgid) == []
        events = await read_turn(client, str(ack.id))
        [turn] = await client.sessions.turns(ack.id)
    assert events[-1].type == "terminated"
    assert turn.status == "failed"


async def test_stop_kills_every_agent_and_removes_every_workspace(
    make_aod_emulator: Callable[..., AodEmulator], origin: str
) -> None:
    emulator = make_aod_emulator(agent_command=SLEEPER)
    async with connect(emulator) as client:
        acks = [
            await client.sessions.create(
                agent_id=emulator.create_agent(), prompt="x", resources=[repository(origin)]
            )
            for _ in range(2)
        ]
        for ack in acks:
            await wait_for_output(client, str(ack.id))
    groups = emulator.process_groups()
    assert len(groups) == 2
    workspaces = list(emulator.config.sessions_dir.glob("*/root/workspace/api"))
    assert len(workspaces) == 2
    emulator.stop()
    assert [_wait_gone(pgid) for pgid in groups] == [[], []]
    assert not emulator.config.sessions_dir.exists()


async def test_a_clone_that_fails_fails_provisioning(
    aod_emulator: AodEmulator, agent_id: str, tmp_path: Path
) -> None:
    missing = f"file://{tmp_path}/nowhere/api.git"
    async with connect(aod_emulator) as client:
        ack = await client.sessions.create(
            agent_id=agent_id, prompt="x", resources=[repository(missing)]
        )
        events = await read_turn(client, str(ack.id))
        [turn] = await client.sessions.turns(ack.id)
    [failed] = [e for e in events if e.type == "stage" and e.extra["state"] == "failed"]
    assert failed.extra["stage"] == "provision_setup"
    assert failed.extra["message"].startswith("Provisioning script failed: git clone of")
    assert stderr_of(events).startswith("provision failed: Provisioning script failed:")
    assert [e.extra["turn"] for e in events if e.type == "turn_start"] == [1]
    assert events[-1].type == "error"
    assert turn.status == "failed"


async def test_a_command_agent_gets_the_prompt_on_stdin_with_real_paths(
    make_aod_emulator: Callable[..., AodEmulator], origin: str
) -> None:
    script = (
        "import os, pathlib, sys\n"
        "prompt = sys.stdin.read()\n"
        "path = prompt.split()[-1]\n"
        "print(pathlib.Path(path, 'README.md').read_text().splitlines()[0])\n"
        "print('cwd', os.getcwd() == os.environ['HOME'])\n"
        "print('oops', file=sys.stderr)\n"
        "sys.exit(4)\n"
    )
    emulator = make_aod_emulator(agent_command=[sys.executable, "-c", script])
    async with connect(emulator) as client:
        ack = await client.sessions.create(
            agent_id=emulator.create_agent(),
            prompt="Read /workspace/api",
            resources=[repository(origin)],
        )
        events = await read_turn(client, str(ack.id))
    assert stdout_of(events) == "# api\ncwd True\n"
    assert stderr_of(events) == "oops\n"
    assert events[-1].extra == {"code": 4}


async def test_an_authorization_token_becomes_a_git_credential_and_is_never_echoed(
    aod_emulator: AodEmulator, agent_id: str, origin: str
) -> None:
    token = "ghp_" + "s3cr3t" * 6
    command = (
        "stat -c %a ~/.git-credentials && sed 's/ghp_[a-z0-9]*/TOKEN/' ~/.git-credentials"
        " && git config --global credential.helper | cut -c1-13"
    )
    async with connect(aod_emulator) as client:
        ack = await client.sessions.create(
            agent_id=agent_id,
            prompt=bash_prompt(command),
            resources=[repository(origin, authorization_token=token, mount_path="/src/api")],
        )
        events = await read_turn(client, str(ack.id))
        listed = await client.sessions.list()
    stages = [e.extra["stage"] for e in events if e.type == "stage" and e.extra["state"] == "done"]
    assert "git_credentials" in stages
    output = tool_results(stdout_of(events))[0]["content"]
    assert output.splitlines() == ["600", "file://TOKEN:x-oauth-basic@", "store --file="]
    raw = (await raw_stream(aod_emulator, str(ack.id))).text
    async with httpx.AsyncClient(base_url=aod_emulator.url) as http:
        record = await http.get(
            f"/sessions/{ack.id}", headers={"Authorization": f"Bearer {aod_emulator.token}"}
        )
    for text in (raw, record.text, str(listed)):
        assert token not in text
    assert listed[0].resources[0].mount_path == "/src/api"
