"""Test helpers for the patch protocol: real git repositories, a pretend agent that runs the
fenced bash block of a prompt, and the ways runtimes wrap or shorten command output."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitenv import GIT_ENV


def git(cwd: Path, *args: str, stdin: bytes | None = None) -> str:
    """Run git in ``cwd`` with a fixed identity and no user configuration."""
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        env={**os.environ, **GIT_ENV},
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr.decode()}")
    return result.stdout.decode()


@dataclass
class Workspace:
    """An origin repository and the sandbox clone the pretend agent edits."""

    origin: Path  # bare repository
    sandbox: Path  # the clone at the "mount path" (has a space in it)
    home: Path  # the sandbox user's $HOME
    base_sha: str
    key: str = "demo--acme-api-0123456789"

    def write(self, path: str, content: str | bytes, *, mode: int | None = None) -> None:
        target = self.sandbox / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            target.write_text(content)
        else:
            target.write_bytes(content)
        if mode is not None:
            target.chmod(mode)

    def index_tree(self) -> str:
        """The tree the sandbox's index holds (the collect command staged everything)."""
        return git(self.sandbox, "write-tree").strip()


def base_files() -> dict[str, bytes]:
    """The files of the origin's last commit: text, an executable, a binary, a long doc."""
    app = "".join(f"def handler_{i}(event):\n    return {i}\n\n" for i in range(40))
    doc = "".join(f"Line {i} of the guide, unchanged by renames.\n" for i in range(60))
    return {
        "README.md": b"# api\n\nA service.\n",
        "src/app.py": app.encode(),
        "bin/tool.sh": b"#!/bin/sh\necho tool\n",
        "assets/logo.bin": bytes(range(256)) * 4,
        "docs/guide.md": doc.encode(),
        "data/remove-me.txt": b"obsolete\n",
    }


def make_origin(root: Path, *, branches: dict[str, dict[str, bytes]] | None = None) -> Path:
    """A bare repository with three commits on main (so depth matters) and extra branches."""
    work = root / "origin-work"
    work.mkdir(parents=True)
    git(work, "init", "-q", "-b", "main")
    for step in range(3):
        for name, data in base_files().items():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            (work / name).write_bytes(data if step == 2 else data + f"v{step}\n".encode())
        (work / "bin/tool.sh").chmod(0o755)
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", f"commit {step}")
    for branch, files in (branches or {}).items():
        git(work, "checkout", "-q", "-b", branch, "main")
        for name, data in files.items():
            (work / name).write_bytes(data)
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", f"on {branch}")
        git(work, "checkout", "-q", "main")
    bare = root / "origin.git"
    git(root, "clone", "-q", "--bare", str(work), str(bare))
    return bare


def clone(origin: Path, dest: Path, *, shallow: bool) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    depth = ["--depth=1"] if shallow else []
    git(dest.parent, "clone", "-q", *depth, f"file://{origin}", str(dest))
    return dest


def checkout_of(origin: Path, sha: str, dest: Path) -> Path:
    """A fresh single-commit checkout of ``sha``, as aodfix makes to apply the patch."""
    dest.mkdir(parents=True)
    git(dest, "init", "-q")
    git(dest, "fetch", "-q", "--depth=1", f"file://{origin}", sha)
    git(dest, "checkout", "-q", "--detach", sha)
    return dest


def fenced_bash(prompt: str) -> str:
    """The one fenced block tagged bash, found the way an agent or the emulator finds it."""
    blocks = re.findall(r"^```bash\n(.*?)^```$", prompt, re.DOTALL | re.MULTILINE)
    assert len(blocks) == 1, f"expected exactly one ```bash block, found {len(blocks)}"
    return str(blocks[0])


def run_fenced_bash(prompt: str, home: Path) -> str:
    """Run the prompt's bash block from $HOME, as an agent would, and return its stdout."""
    home.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["bash", "-c", fenced_bash(prompt)],
        cwd=home,
        capture_output=True,
        env={**os.environ, **GIT_ENV, "HOME": str(home)},
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


# --- how runtimes wrap and shorten command output ----------------------------------------


def _jsonl(objects: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(o, ensure_ascii=False, separators=(",", ":")) + "\n" for o in objects)


def claude_stream(
    command: str, output: str, *, shown: str | None = None, saved: str | None = None
) -> str:
    """Claude stream-json for one Bash call: the model sees ``shown`` in the tool_result,
    ``tool_use_result.stdout`` keeps ``saved`` (both default to the command's output)."""
    return _jsonl(
        [
            {"type": "system", "subtype": "init", "cwd": "/home/sprite", "session_id": "s1"},
            {
                "type": "assistant",
                "message": {
                    "role": "assistant",
                    "content": [
                        {"type": "text", "text": "Running the collect command."},
                        {
                            "type": "tool_use",
                            "id": "toolu_01",
                            "name": "Bash",
                            "input": {"command": command, "description": "collect"},
                        },
                    ],
                },
                "session_id": "s1",
            },
            {
                "type": "user",
                "message": {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": "toolu_01",
                            "content": output if shown is None else shown,
                            "is_error": False,
                        }
                    ],
                },
                "tool_use_result": {
                    "stdout": output if saved is None else saved,
                    "stderr": "",
                    "interrupted": False,
                },
                "session_id": "s1",
            },
            {"type": "result", "subtype": "success", "is_error": False, "result": "Done."},
        ]
    )


def codex_stream(command: str, output: str) -> str:
    """Codex ``exec --json`` for one command execution."""
    item = {"id": "item_0", "type": "command_execution", "command": f"bash -lc {command!r}"}
    return _jsonl(
        [
            {"type": "thread.started", "thread_id": "t1"},
            {"type": "turn.started"},
            {
                "type": "item.started",
                "item": {**item, "aggregated_output": "", "status": "in_progress"},
            },
            {
                "type": "item.completed",
                "item": {
                    **item,
                    "aggregated_output": output,
                    "exit_code": 0,
                    "status": "completed",
                },
            },
            {
                "type": "item.completed",
                "item": {"id": "item_1", "type": "agent_message", "text": "Done."},
            },
            {"type": "turn.completed", "usage": {"input_tokens": 1, "output_tokens": 1}},
        ]
    )


def as_output_events(stream: str, seed: int = 0) -> str:
    """Split ``stream`` into arbitrary, line-unaligned ``output`` chunks and join them back,
    as the session layer does before extraction."""
    rng = random.Random(seed)
    chunks: list[str] = []
    i = 0
    while i < len(stream):
        size = rng.randint(1, 700)
        chunks.append(stream[i : i + size])
        i += size
    assert len(chunks) > 1 or len(stream) <= 700
    return "".join(chunks)


def truncate_middle(text: str, limit: int) -> str:
    """Claude Code's treatment of long Bash output: keep both ends, drop the middle."""
    if len(text) <= limit:
        return text
    half = limit // 2
    dropped = len(text) - 2 * half
    return f"{text[:half]}\n\n... [{dropped} characters truncated] ...\n\n{text[-half:]}"


def preview(text: str) -> str:
    """Newer builds: a short preview of long output and the path of the full file."""
    return text[:2000] + "\n...\nFull output saved to /tmp/x.txt"
