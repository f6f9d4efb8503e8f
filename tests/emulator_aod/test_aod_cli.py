"""``aodfix emulator``: starts both servers, prints where they are, stops on a signal."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from aod import Client

LINE = re.compile(r"^(AoD|GitHub) emulator: (http://127\.0\.0\.1:\d+)  (.*)$")


def _members(pgid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


@pytest.fixture
def run_emulator() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()  # reaps it and closes its pipes


def _start(
    started: list[subprocess.Popen[str]], *args: str
) -> tuple[subprocess.Popen[str], dict[str, dict[str, str]]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "aodfix", "emulator", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    started.append(process)
    servers: dict[str, dict[str, str]] = {}
    assert process.stdout is not None
    while len(servers) < 2:
        line = process.stdout.readline()
        assert line, f"emulator exited: {process.stderr.read() if process.stderr else ''}"
        match = LINE.match(line.rstrip("\n"))
        assert match, line
        variables = dict(pair.split("=", 1) for pair in match[3].split())
        servers[match[1]] = {"url": match[2], **variables}
    return process, servers


def test_the_command_serves_until_sigterm_and_leaves_nothing_behind(
    run_emulator: list[subprocess.Popen[str]],
) -> None:
    process, servers = _start(run_emulator, "--aod-port", "0", "--token", "aod_cli_token")
    aod = servers["AoD"]
    assert aod["AOD_API_URL"] == aod["url"]
    assert aod["AOD_API_TOKEN"] == "aod_cli_token"
    assert httpx.get(f"{aod['url']}/health").json() == {"status": "ok"}
    github = servers["GitHub"]
    assert github["GITHUB_API_URL"] == f"{github['url']}/api/v3"

    process.send_signal(signal.SIGTERM)
    started = time.monotonic()
    assert process.wait(timeout=2) == 0
    assert time.monotonic() - started < 2
    assert _members(process.pid) == []


def test_seeded_repositories_can_be_cloned_by_sessions(
    run_emulator: list[subprocess.Popen[str]], tmp_path: Path
) -> None:
    source = tmp_path / "api"
    source.mkdir()
    (source / "README.md").write_text("# seeded\n")
    process, servers = _start(run_emulator, "--repo", f"acme/api={source}")
    aod, github = servers["AoD"], servers["GitHub"]
    resource = {"type": "github_repository", "url": f"{github['url']}/acme/api.git"}
    prompt = "Read it.\n```bash\ncat /workspace/api/README.md\n```\n"
    with Client(base_url=aod["url"], token=aod["AOD_API_TOKEN"]) as client:
        ack = client.sessions.create(
            agent_id=aod["AOD_AGENT_ID"], prompt=prompt, resources=[resource]
        )
        with client.sessions.stream(ack.id) as events:
            output = "".join(e.extra.get("data", "") for e in events if e.type == "output")
    assert '"content":"# seeded\\n"' in output
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=2) == 0
