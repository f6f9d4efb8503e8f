"""What a person or a script sees while a batch runs: plain lines, JSON events, a live view."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
from pathlib import Path

from conftest import MakeStack
from stack import Stack

FILES = {"greet.py": 'print("Helo")\n'}
FIX = {"edits": [{"replace": "greet.py", "old": "Helo", "new": "Hello"}], "delay": 0.5}
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
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
    assert {e["event"] for e in events} == {"stage", "result", "summary"}
    result = events[-2]
    assert result["event"] == "result" and result["status"] == "pr_opened"
    assert run.stderr == ""


def test_json_stream_ends_with_a_summary_of_totals_reports_and_exit_code(
    make_stack: MakeStack,
) -> None:
    stack = make_stack({"default": FIX, "acme/bad": {"exit_code": 2}})
    for name in ("acme/a", "acme/bad"):
        stack.add_repository(name, FILES)
    run = stack.apply(stack.manifest(["acme/a", "acme/bad"]), "--json")
    assert run.exit_code == 1
    summary = json.loads(run.stdout.splitlines()[-1])
    assert summary["event"] == "summary"
    assert summary["exit_code"] == 1 and summary["repositories"] == 2
    assert summary["totals"]["pr_opened"] == 1 and summary["totals"]["failed"] == 1
    assert list(summary["reports"]) == ["html", "json", "md"]
    assert summary["reports"]["html"] == str(run.report_dir / "report.html")
    assert summary["interrupted"] is False and summary["dry_run"] is False


def test_json_events_carry_iso_8601_utc_times(make_stack: MakeStack) -> None:
    stack = make_stack({"default": FIX})
    stack.add_repository("acme/a", FILES)
    run = stack.apply(stack.manifest(["acme/a"]), "--json")
    times = [json.loads(line)["time"] for line in run.stdout.splitlines()]
    assert times and all(ISO.match(t) for t in times), times


def test_quiet_prints_only_the_summary_ending_with_report_html_first(
    make_stack: MakeStack,
) -> None:
    stack = make_stack({"default": FIX})
    stack.add_repository("acme/a", FILES)
    run = stack.apply(stack.manifest(["acme/a"]), "--quiet")
    assert run.exit_code == 0 and run.stderr == ""
    assert run.stdout.splitlines()[0] == "e2e-fix: 1 repository: 1 PR opened"
    last = run.stdout.splitlines()[-1]
    report = run.report_dir
    assert (
        last == f"report: {report / 'report.html'} {report / 'report.json'} {report / 'report.md'}"
    )


def live_screen(stack: Stack, manifest: Path) -> tuple[int, str, str]:
    """Run apply with stderr on a pseudo-terminal: exit code, raw screen, stdout."""
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
    return process.returncode, screen.decode(errors="replace"), stdout


def bar_styles(raw: str) -> set[str]:
    """The SGR codes the batch bar's filled part is drawn with, across every redraw."""
    return set(re.findall(r"\x1b\[([0-9;]*)m━", raw))


def test_terminal_gets_a_live_view(make_stack: MakeStack) -> None:
    stack = make_stack({"default": FIX})
    for name in ("acme/a", "acme/b"):
        stack.add_repository(name, FILES)
    code, raw, stdout = live_screen(stack, stack.manifest(["acme/a", "acme/b"]))
    assert code == 0, raw
    assert "\x1b[" in raw  # redrawn in place
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", raw)
    assert "agent turn 1" in text or "provisioning" in text
    assert "2/2" in text  # the batch bar finished
    assert "pr_opened acme/a" in text and "pr_opened acme/b" in text
    assert "2 repositories: 2 PR opened" in stdout


def test_live_bar_is_neutral_while_running_and_green_when_all_ended_well(
    make_stack: MakeStack,
) -> None:
    stack = make_stack({"default": FIX, "acme/slow": {**FIX, "delay": 2.0}})
    for name in ("acme/a", "acme/slow"):
        stack.add_repository(name, FILES)
    code, raw, _ = live_screen(stack, stack.manifest(["acme/a", "acme/slow"]))
    assert code == 0, raw
    styles = bar_styles(raw) - {"90"}  # 90: the bar's unfilled part
    assert styles == {"34", "32"}  # blue while running, green once done


def test_live_bar_turns_red_only_when_a_repository_failed(make_stack: MakeStack) -> None:
    stack = make_stack({"default": {**FIX, "delay": 2.0}, "acme/bad": {"exit_code": 2}})
    for name in ("acme/a", "acme/bad"):
        stack.add_repository(name, FILES)
    code, raw, stdout = live_screen(stack, stack.manifest(["acme/a", "acme/bad"]))
    assert code == 1, raw
    styles = bar_styles(raw)
    assert "34" in styles and "32" not in styles and "31" in styles
    assert "2 repositories: 1 PR opened, 1 failed" in stdout


def test_failures_become_annotations_in_github_actions(make_stack: MakeStack) -> None:
    stack = make_stack({"default": FIX, "acme/bad": {"exit_code": 2}})
    for name in ("acme/a", "acme/bad"):
        stack.add_repository(name, FILES)
    run = stack.apply(stack.manifest(["acme/a", "acme/bad"]), GITHUB_ACTIONS="true")
    annotations = [line for line in run.stdout.splitlines() if line.startswith("::")]
    assert annotations == [
        "::error title=aodfix acme/bad failed::agent: the agent exited with code 2"
    ]
