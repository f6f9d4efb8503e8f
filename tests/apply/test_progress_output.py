"""What a person or a script sees while a batch runs: plain lines, JSON events, a live view."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess

from conftest import MakeStack

FILES = {"greet.py": 'print("Helo")\n'}
FIX = {"edits": [{"replace": "greet.py", "old": "Helo", "new": "Hello"}], "delay": 0.5}
LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d acme/\w+: .+$")


def test_ci_gets_one_plain_timestamped_line_per_change(make_stack: MakeStack) -> None:
    stack = make_stack({"default": FIX})
    stack.add_repository("acme/a", FILES)
    run = stack.apply(stack.manifest(["acme/a"]))
    lines = run.stderr.splitlines()
    assert lines and all(LINE.match(line) for line in lines), lines
    assert "\x1b" not in run.stderr + run.stdout
    stages = [line.split(": ", 1)[1] for line in lines]
    assert stages[:4] == ["resolving", "queued", "provisioning", "agent turn 1"]
    assert stages[-1].startswith("pr_opened http://")


def test_json_mode_prints_stage_and_result_events_and_nothing_on_stderr(
    make_stack: MakeStack,
) -> None:
    stack = make_stack({"default": FIX})
    stack.add_repository("acme/a", FILES)
    run = stack.apply(stack.manifest(["acme/a"]), "--json")
    events = [json.loads(line) for line in run.stdout.splitlines()]
    assert {e["event"] for e in events} == {"stage", "result"}
    result = events[-1]
    assert result["event"] == "result" and result["status"] == "pr_opened"
    assert run.stderr == ""


def test_terminal_gets_a_live_view(make_stack: MakeStack) -> None:
    stack = make_stack({"default": FIX})
    for name in ("acme/a", "acme/b"):
        stack.add_repository(name, FILES)
    manifest = stack.manifest(["acme/a", "acme/b"])
    controller, terminal = pty.openpty()
    env = stack.env()
    env.pop("CI")
    process = subprocess.Popen(
        stack.command(manifest),
        env={**env, "TERM": "xterm", "COLUMNS": "120"},
        stdout=subprocess.PIPE,
        stderr=terminal,
        text=True,
    )
    os.close(terminal)
    screen = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        screen += chunk
    stdout, _ = process.communicate(timeout=60)
    os.close(controller)
    raw = screen.decode(errors="replace")
    assert process.returncode == 0, raw
    assert "\x1b[" in raw  # redrawn in place
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", raw)
    assert "agent turn 1" in text or "provisioning" in text
    assert "2/2" in text  # the batch bar finished
    assert "pr_opened acme/a" in text and "pr_opened acme/b" in text
    assert "2 repositories: 2 PR opened" in stdout


def test_failures_become_annotations_in_github_actions(make_stack: MakeStack) -> None:
    stack = make_stack({"default": FIX, "acme/bad": {"exit_code": 2}})
    for name in ("acme/a", "acme/bad"):
        stack.add_repository(name, FILES)
    run = stack.apply(stack.manifest(["acme/a", "acme/bad"]), GITHUB_ACTIONS="true")
    annotations = [line for line in run.stdout.splitlines() if line.startswith("::")]
    assert annotations == [
        "::error title=aodfix acme/bad failed::agent: the agent exited with code 2"
    ]
