"""Light mode: turns replay what one real run of the same history printed, for benchmarks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aod.models import StreamEvent
from aodkit import (
    BASE_FILES,
    connect,
    git,
    head_of,
    json_lines,
    make_origin,
    read_turn,
    repository,
    result_line,
    stdout_of,
    tool_results,
    tool_uses,
)

from aodfix.emulator.aod import AodEmulator
from aodfix.emulator.stack import emulator_stack
from aodfix.patch import (
    NoBlock,
    PatchFound,
    collect_command,
    collect_reminder,
    extract_patch,
    finishing_instructions,
)

EDIT = {"replace": "src/app.py", "old": "return 1", "new": "return 2"}
SCENARIO = {"default": {"edits": [EDIT]}}
MakeEmulator = Callable[..., AodEmulator]


def _task(mount: str, sha: str, key: str) -> str:
    return "Return 2." + finishing_instructions(mount, sha, None, key)


async def _session(emulator: AodEmulator, url: str, prompt: str, mount: str) -> list[StreamEvent]:
    async with connect(emulator) as client:
        ack = await client.sessions.create(
            agent_id=emulator.create_agent(),
            prompt=prompt,
            resources=[repository(url, mount_path=mount)],
        )
        events = await read_turn(client, str(ack.id))
        await client.sessions.delete(ack.id)
    assert events[-1].type == "exit", events[-1]
    return events


def _same_base_copy(origin: str, root: Path, full_name: str) -> str:
    """Another repository at the very same commit (as bulk seeding makes them)."""
    bare = root / "git" / f"{full_name}.git"
    git(root, "clone", "-q", "--bare", origin.removeprefix("file://"), str(bare))
    return f"file://{bare}"


def _patch_of(events: list[StreamEvent]) -> PatchFound:
    found = extract_patch(stdout_of(events))
    assert isinstance(found, PatchFound), found
    return found


async def test_a_light_session_prints_what_a_real_session_prints(
    make_aod_emulator: MakeEmulator, tmp_path: Path
) -> None:
    origin = make_origin(tmp_path)
    sha = head_of(origin)
    prompt = _task("/workspace/api", sha, "fix--acme-api-0123456789")
    real = await _session(make_aod_emulator(scenario=SCENARIO), origin, prompt, "/workspace/api")
    light_emulator = make_aod_emulator(scenario=SCENARIO, light=True)
    light = await _session(light_emulator, origin, prompt, "/workspace/api")

    def stages(events: list[StreamEvent]) -> list[tuple[str, str]]:
        return [(e.extra["stage"], e.extra["state"]) for e in events if e.type == "stage"]

    assert stages(light) == stages(real)
    assert [e.extra["turn"] for e in light if e.type == "turn_start"] == [1]
    real_out, light_out = stdout_of(real), stdout_of(light)
    assert [line["type"] for line in json_lines(light_out)] == [
        line["type"] for line in json_lines(real_out)
    ]
    assert tool_uses(light_out) == tool_uses(real_out)
    assert [r["content"] for r in tool_results(light_out)] == [
        r["content"] for r in tool_results(real_out)
    ]
    result = result_line(light_out)
    assert (result["num_turns"], result["total_cost_usd"]) == (
        result_line(real_out)["num_turns"],
        result_line(real_out)["total_cost_usd"],
    )
    patch = _patch_of(light)
    assert (patch.base_sha, patch.patch) == (sha, _patch_of(real).patch)
    assert b"+    return 2" in patch.patch


async def test_one_computation_serves_every_repository_at_the_same_base(
    make_aod_emulator: MakeEmulator, tmp_path: Path
) -> None:
    emulator = make_aod_emulator(scenario=SCENARIO, light=True)
    origin = make_origin(tmp_path)
    sha = head_of(origin)
    urls = [origin] + [_same_base_copy(origin, tmp_path, f"acme/r{i}") for i in range(3)]
    outputs = []
    for index, url in enumerate(urls):
        mount, key = f"/workspace/r{index}", f"fix--acme-r{index}-0123456789"
        prompt = _task(mount, sha, key)
        events = await _session(emulator, url, prompt, mount)
        stdout = stdout_of(events)
        bash = [u["input"]["command"] for u in tool_uses(stdout) if u["name"] == "Bash"]
        assert bash == [collect_command(mount, sha, key)]  # its own command, re-rooted
        assert [u["input"]["file_path"] for u in tool_uses(stdout) if u["name"] == "Edit"] == [
            f"{mount}/src/app.py"
        ]
        assert _patch_of(events).base_sha == sha
        outputs.append(stdout)

    assert len({_patch_of_text(out) for out in outputs}) == 1
    session_ids = {line["session_id"] for out in outputs for line in json_lines(out)}
    uuids = [line["uuid"] for out in outputs for line in json_lines(out)]
    assert len(session_ids) == len(urls) and len(set(uuids)) == len(uuids)
    stats = emulator.stats
    assert (stats.light_computations, stats.processes_started) == (1, 2)  # one clone, one agent
    assert stats.undeleted == set()
    assert list(emulator.config.sessions_dir.iterdir()) == []  # no sandbox was ever made


def _patch_of_text(stdout: str) -> bytes:
    found = extract_patch(stdout)
    assert isinstance(found, PatchFound)
    return found.patch


async def test_a_follow_up_turn_replays_on_top_of_the_first_turns_edits(
    make_aod_emulator: MakeEmulator, tmp_path: Path
) -> None:
    scenario = {"default": {"edits": [EDIT], "forget_collect": True}}
    emulator = make_aod_emulator(scenario=scenario, light=True)
    origin = make_origin(tmp_path)
    sha = head_of(origin)
    for url in (origin, _same_base_copy(origin, tmp_path, "acme/web")):
        mount = "/workspace/" + url.rsplit("/", 1)[1].removesuffix(".git")
        key = "fix--" + mount.rsplit("/", 1)[1]
        async with connect(emulator) as client:
            ack = await client.sessions.create(
                agent_id=emulator.create_agent(),
                prompt=_task(mount, sha, key),
                resources=[repository(url, mount_path=mount)],
            )
            first = await read_turn(client, str(ack.id))
            assert isinstance(extract_patch(stdout_of(first)), NoBlock)
            await client.sessions.prompt(
                ack.id, prompt=collect_reminder(mount, sha, key), timeout=60
            )
            second = await read_turn(client, str(ack.id), since=first[-1].id)
            turns = await client.sessions.turns(ack.id)
            await client.sessions.delete(ack.id)
        assert b"+    return 2" in _patch_of(second).patch
        assert [(t.turn_number, t.status) for t in turns] == [(1, "completed"), (2, "completed")]
    # Turn 1 alone, then turns 1 and 2 in one sandbox: once, for both repositories.
    assert emulator.stats.light_computations == 2


async def test_terminate_ends_a_light_turn_during_its_delay(
    make_aod_emulator: MakeEmulator, tmp_path: Path
) -> None:
    emulator = make_aod_emulator(scenario={"default": {"delay": 60, "edits": [EDIT]}}, light=True)
    origin = make_origin(tmp_path)
    prompt = _task("/workspace/api", head_of(origin), "fix--acme-api")
    async with connect(emulator) as client:
        ack = await client.sessions.create(
            agent_id=emulator.create_agent(), prompt=prompt, resources=[repository(origin)]
        )
        async with client.sessions.stream(str(ack.id)) as stream:
            async for event in stream:
                if event.type == "output":
                    break  # the init line and first message: the turn now waits its delay
        assert emulator.stats.active == 1
        await client.sessions.terminate(ack.id)
        events = await read_turn(client, str(ack.id))
        turns = await client.sessions.turns(ack.id)
        await client.sessions.delete(ack.id)
    assert events[-1].type == "terminated"
    assert isinstance(extract_patch(stdout_of(events)), NoBlock)
    assert [(t.status, t.exit_code) for t in turns] == [("failed", 137)]
    assert (emulator.stats.active, emulator.stats.undeleted) == (0, set())


def test_light_mode_takes_no_agent_command(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="light mode"):
        AodEmulator(tmp_path, light=True, agent_command=["claude"])


# --- aodfix end to end ----------------------------------------------------------------------


def _apply(
    env: dict[str, str], root: Path, names: list[str], *args: str
) -> tuple[int, dict[str, Any]]:
    manifest = root / "light.yml"
    document = {
        "version": 1,
        "name": "light-fix",
        "prompt": "Make the handler return 2.",
        "timeout": 60,
        "concurrency": 10,
        "repositories": names,
    }
    manifest.write_text(yaml.safe_dump(document))
    report = root / "report"
    command = [sys.executable, "-m", "aodfix", "apply", str(manifest), "--quiet"]
    done = subprocess.run(
        [*command, "--report-dir", str(report), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    data: dict[str, Any] = json.loads((report / "report.json").read_text())
    return done.returncode, data


@pytest.mark.parametrize(("count", "dry_run"), [(20, True), (2, False)])
def test_aodfix_apply_on_bulk_seeded_repositories_in_light_mode(
    tmp_path: Path, count: int, dry_run: bool
) -> None:
    source = tmp_path / "template"
    for name, text in BASE_FILES.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(text)
    names = [f"acme/svc-{index:02d}" for index in range(count)]
    emulators = emulator_stack(
        tmp_path / "emulators",
        scenario=SCENARIO,
        light=True,
        heartbeat_interval=1.0,
        poll_interval=0.05,
    )
    with emulators as stack:
        sha = stack.github.create_repositories_from_template(names, source)
        home = tmp_path / "home"
        home.mkdir()
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "CI": "true",
            "GIT_CONFIG_NOSYSTEM": "1",
            **stack.environment(),
        }
        code, report = _apply(env, tmp_path, names, *(["--dry-run"] if dry_run else []))
        pulls = stack.github.pull_requests()
        stats = stack.aod.stats
        assert (stats.light_computations, stats.processes_started, stats.undeleted) == (
            1,
            2,
            set(),
        )

    results = {r["repository"]: r for r in report["results"]}
    assert code == 0, [r["error"] for r in results.values()]
    assert {r["base_sha"] for r in results.values()} == {sha}
    if dry_run:
        assert {r["status"] for r in results.values()} == {"dry_run"}
        assert all("+    return 2" in r["patch"] for r in results.values())
        assert pulls == []
    else:
        assert {r["status"] for r in results.values()} == {"pr_opened"}
        assert sorted(p.full_name for p in pulls) == names
        assert {p.head_ref for p in pulls} == {"aodfix/light-fix"}
