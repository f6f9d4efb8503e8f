"""Helpers for the AoD emulator's tests: origin repositories, stream reading, output parsing."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
from aod import AsyncClient
from aod.models import StreamEvent
from gitenv import GIT_ENV

from aodfix.emulator.aod import AodEmulator

TERMINAL = ("exit", "error", "terminated", "stale")
BASE_FILES = {
    "README.md": "# api\n\nA service.\n",
    "src/app.py": "def handler():\n    return 1\n",
    "data/old.txt": "obsolete\n",
}


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def make_origin(
    root: Path, full_name: str = "acme/api", files: Mapping[str, str] = BASE_FILES
) -> str:
    """A bare repository at ``root/git/OWNER/NAME.git``; returns its ``file://`` URL."""
    work = root / "origin-work" / full_name
    work.mkdir(parents=True)
    git(work, "init", "-q", "-b", "main")
    for name, text in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text)
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "initial")
    bare = root / "git" / f"{full_name}.git"
    git(root, "clone", "-q", "--bare", str(work), str(bare))
    return f"file://{bare}"


def head_of(url: str) -> str:
    bare = Path(url.removeprefix("file://"))
    return git(bare, "rev-parse", "HEAD").strip()


def repository(url: str, **extra: Any) -> dict[str, Any]:
    return {"type": "github_repository", "url": url, **extra}


def bash_prompt(command: str, task: str = "Do the task.") -> str:
    return f"{task}\n\n```bash\n{command}\n```\n"


def connect(emulator: AodEmulator, token: str | None = None) -> AsyncClient:
    return AsyncClient(base_url=emulator.url, token=token or emulator.token)


async def read_turn(
    client: AsyncClient, session_id: str, since: int | None = None
) -> list[StreamEvent]:
    """Events of one connection, up to and including the terminal event."""
    events: list[StreamEvent] = []
    async with client.sessions.stream(session_id, since=since) as stream:
        async for event in stream:
            events.append(event)
            if event.type in TERMINAL:
                break
    return events


async def wait_for_output(client: AsyncClient, session_id: str) -> list[StreamEvent]:
    """Events up to the session's first output: its agent is running."""
    events: list[StreamEvent] = []
    async with client.sessions.stream(session_id) as stream:
        async for event in stream:
            events.append(event)
            if event.type == "output" or event.type in TERMINAL:
                break
    return events


def stdout_of(events: list[StreamEvent]) -> str:
    return "".join(
        e.extra["data"] for e in events if e.type == "output" and e.extra["stream"] == "stdout"
    )


def stderr_of(events: list[StreamEvent]) -> str:
    return "".join(
        e.extra["data"] for e in events if e.type == "output" and e.extra["stream"] == "stderr"
    )


def json_lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def tool_results(stdout: str) -> list[dict[str, Any]]:
    """The ``tool_result`` blocks of Claude stream-json, each with the line's
    ``tool_use_result`` under ``"details"``."""
    found = []
    for line in json_lines(stdout):
        if line["type"] != "user":
            continue
        for block in line["message"]["content"]:
            if block["type"] == "tool_result":
                found.append({**block, "details": line.get("tool_use_result")})
    return found


def tool_uses(stdout: str) -> list[dict[str, Any]]:
    return [
        block
        for line in json_lines(stdout)
        if line["type"] == "assistant"
        for block in line["message"]["content"]
        if block["type"] == "tool_use"
    ]


def result_line(stdout: str) -> dict[str, Any]:
    results = [line for line in json_lines(stdout) if line["type"] == "result"]
    assert len(results) == 1, results
    return results[0]


async def raw_stream(
    emulator: AodEmulator,
    session_id: str,
    *,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    token: str | None = None,
) -> httpx.Response:
    """The whole stream response as raw text (the stream must end by itself)."""
    async with httpx.AsyncClient(base_url=emulator.url, timeout=30) as http:
        return await http.get(
            f"/sessions/{session_id}/stream",
            headers={"Authorization": f"Bearer {token or emulator.token}", **(headers or {})},
            params=params,
        )


def sse_frames(text: str) -> list[list[str]]:
    """The frames of an SSE body, each as its lines."""
    return [frame.split("\n") for frame in text.split("\n\n") if frame]


def data_of(frame: list[str]) -> dict[str, Any]:
    (line,) = [line for line in frame if line.startswith("data: ")]
    payload: dict[str, Any] = json.loads(line.removeprefix("data: "))
    return payload
