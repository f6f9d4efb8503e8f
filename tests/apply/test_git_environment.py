"""Every git process aodfix starts gets a scrubbed environment: no token of the run, and the
auth header only where git talks to the forge (issue: the agent and its repository are
untrusted; a hook or a helper must not be handed a write token)."""

from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path

from conftest import MakeStack
from stack import AOD_TOKEN, GITHUB_TOKEN

FILES = {"greet.py": 'print("Helo")\n'}
FIX = {"edits": [{"replace": "greet.py", "old": "Helo", "new": "Hello"}]}
NETWORK = ("ls-remote", "fetch", "push")
GITPYTHON_HELPERS = ("version", "cat-file")


def _git_shim(directory: Path) -> Path:
    """A ``git`` first on PATH that records each call's arguments and environment."""
    real = shutil.which("git")
    assert real is not None
    directory.mkdir()
    shim = directory / "git"
    shim.write_text(
        "#!/bin/sh\n"
        'dump="$GIT_DUMP_DIR/$$-$(date +%s%N)"\n'
        'printf "%s\\n" "$*" > "$dump.args"\n'
        'env > "$dump.env"\n'
        f'exec {real} "$@"\n'
    )
    shim.chmod(0o755)
    return directory


def test_git_children_hold_no_token_and_only_forge_commands_hold_the_auth_header(
    make_stack: MakeStack, tmp_path: Path
) -> None:
    stack = make_stack({"default": FIX})
    stack.add_repository("acme/a", FILES)
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    shim = _git_shim(tmp_path / "shim")
    run = stack.apply(
        stack.manifest(["acme/a"]),
        PATH=f"{shim}{os.pathsep}{os.environ['PATH']}",
        GIT_DUMP_DIR=str(dumps),
        GH_TOKEN=GITHUB_TOKEN,
        AWS_SECRET_ACCESS_KEY="runner-secret-not-for-git",
        ACTIONS_RUNTIME_TOKEN="runner-token-not-for-git",
    )
    assert run.statuses() == {"acme/a": "pr_opened"}, run.stderr
    header = base64.b64encode(f"x-access-token:{GITHUB_TOKEN}".encode()).decode()
    calls = sorted(dumps.glob("*.args"))
    assert len(calls) >= 5  # index-pack, read-tree, apply, diff, commit, push, cat-file, …
    seen = set()
    for args_file in calls:
        args = args_file.read_text().split()
        env = args_file.with_suffix(".env").read_text()
        command = next((a for a in args if not a.startswith("-") and "=" not in a), "")
        seen.add(command)
        for secret in (AOD_TOKEN, GITHUB_TOKEN, "AOD_API_TOKEN=", "GITHUB_TOKEN=", "GH_TOKEN="):
            assert secret not in env, f"{secret[:14]} reached git {command}"
        if header in env:
            assert command in NETWORK, f"the auth header reached git {command}"
        if command in GITPYTHON_HELPERS:
            continue  # GitPython's own readers inherit the (token-free) process environment
        for secret in ("AWS_SECRET_ACCESS_KEY", "ACTIONS_RUNTIME_TOKEN"):
            assert secret not in env, f"{secret[:21]} reached git {command}"
    # The fetch is aodfix's own (smart HTTP); git only indexes the pack, without the header.
    assert {"index-pack", "push", "commit", "apply"} <= seen
    assert "fetch" not in seen
