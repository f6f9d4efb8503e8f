"""What a person reads when a batch ends: each word said once, counts in the right number."""

from __future__ import annotations

import signal

from conftest import MakeStack
from stack import wait_for

FILES = {"greet.py": 'print("Helo")\n'}
FIX = {"edits": [{"replace": "greet.py", "old": "Helo", "new": "Hello"}]}


def test_an_interrupted_repository_says_interrupted_once(make_stack: MakeStack) -> None:
    stack = make_stack({"default": {"hang": True}})
    stack.add_repository("acme/a", FILES)
    process = stack.start(stack.manifest(["acme/a"], timeout=600))
    try:
        wait_for(lambda: stack.aod.stats.active == 1, timeout=60)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=40)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    assert "  acme/a: failed (interrupted)" in stdout.splitlines()
    assert "at interrupted" not in stdout and "the batch was interrupted" not in stdout


def test_a_policy_refusal_names_the_stage_once_and_the_count_in_the_singular(
    make_stack: MakeStack,
) -> None:
    workflow = {"edits": [{"write": ".github/workflows/ci.yml", "content": "on: push\n"}]}
    stack = make_stack({"default": workflow})
    stack.add_repository("acme/a", FILES)
    run = stack.apply(stack.manifest(["acme/a"]))
    assert run.exit_code == 1
    lines = run.stdout.splitlines()
    assert lines[0] == "e2e-fix: 1 repository: 1 failed"
    (failed,) = [line for line in lines if line.startswith("  acme/a: ")]
    assert failed.startswith("  acme/a: failed at policy: .github/workflows/ci.yml: ")
    assert "policy: policy" not in run.stdout + run.stderr
