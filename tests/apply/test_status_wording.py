"""``aodfix status`` in words a person reads: GitHub's refusals as reasons, not raw HTTP
lines, and a listed repository without a PR of the batch (missing ones too) as ``none``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import MakeStack
from github import GithubException

from aodfix.forge.github_client import readable_reason

FILES = {"greet.py": 'print("Helo")\n'}


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (401, "token refused"),
        (403, "token not allowed to read the repository"),
        (404, "repository not found (or the token cannot see it)"),
        (500, "HTTP 500: Server Error"),
    ],
)
def test_github_refusals_read_as_reasons(status: int, reason: str) -> None:
    message = {"message": "Server Error"} if status == 500 else {"message": "Not Found"}
    assert readable_reason(GithubException(status, message)) == reason


def test_a_repository_without_a_pr_of_the_batch_is_none(make_stack: MakeStack) -> None:
    stack = make_stack()
    stack.add_repository("acme/a", FILES)
    manifest = stack.manifest(["acme/a", "acme/gone"])
    command = [sys.executable, "-m", "aodfix", "status", str(manifest), "--json"]
    done = subprocess.run(command, env=stack.env(), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    rows = {row["repository"]: row for row in json.loads(done.stdout)["pull_requests"]}
    assert rows["acme/a"]["state"] == "none" and rows["acme/gone"]["state"] == "none"
    assert "HTTP" not in done.stdout
