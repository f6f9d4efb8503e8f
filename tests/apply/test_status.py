"""``aodfix status``: the batch's PRs found by branch and marker, with state and review."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import MakeStack

FILES = {"greet.py": 'print("Helo")\n'}
FIX = {"edits": [{"replace": "greet.py", "old": "Helo", "new": "Hello"}]}


def test_status_reports_state_checks_and_reviews(make_stack: MakeStack) -> None:
    stack = make_stack({"default": FIX, "acme/c": {"edits": []}})
    names = ["acme/a", "acme/b", "acme/c"]
    for name in names:
        stack.add_repository(name, FILES)
    manifest = stack.manifest(names, pull_request={"reviewers": ["octocat"]})
    run = stack.apply(manifest)
    assert run.exit_code == 0, run.stderr
    numbers = {
        n: r["pull_request"]["number"] for n, r in run.results().items() if r["pull_request"]
    }
    stack.github.merge_pull("acme/a", numbers["acme/a"])
    stack.github.add_review("acme/b", numbers["acme/b"], "octocat", "CHANGES_REQUESTED")

    command = [sys.executable, "-m", "aodfix", "status", str(manifest)]
    done = subprocess.run(
        [*command, "--json"], env=stack.env(), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    rows = {row["repository"]: row for row in json.loads(done.stdout)["pull_requests"]}
    assert rows["acme/a"]["state"] == "merged"
    assert rows["acme/b"]["state"] == "open"
    assert rows["acme/b"]["review"] == "changes requested"
    assert rows["acme/b"]["checks"] == "none"
    assert rows["acme/c"]["state"] == "none"  # no_changes: no PR

    table = subprocess.run(command, env=stack.env(), capture_output=True, text=True, check=False)
    assert table.returncode == 0
    assert "merged" in table.stdout and "changes requested" in table.stdout
