"""GitHub side: writes per PR, the shared throttle, secondary rate limits."""

from __future__ import annotations

from conftest import MakeStack

FILES = {"greet.py": 'print("Helo")\n'}
FIX = {"edits": [{"replace": "greet.py", "old": "Helo", "new": "Hello"}]}


def test_new_pr_with_labels_assignees_reviewers_costs_at_most_three_writes(
    make_stack: MakeStack,
) -> None:
    stack = make_stack({"default": FIX})
    names = ["acme/a", "acme/b"]
    for name in names:
        stack.add_repository(name, FILES)
    manifest = stack.manifest(
        names,
        pull_request={
            "labels": ["automated", "deps"],
            "reviewers": ["octocat"],
            "team_reviewers": ["platform"],
            "assignees": ["hubot"],
            "draft": True,
        },
    )
    run = stack.apply(manifest)
    assert run.exit_code == 0, run.stderr
    for name in names:
        writes = [
            r
            for r in stack.github.requests
            if r.method not in ("GET", "HEAD") and f"/repos/{name}/" in r.path
        ]
        assert 1 <= len(writes) <= 3, writes
    for pull in stack.github.pull_requests():
        assert pull.draft
        assert sorted(pull.labels) == ["automated", "deps"]
        assert pull.assignees == ["hubot"]
        assert pull.requested_reviewers == ["octocat"]
        assert pull.requested_teams == ["platform"]


def test_secondary_rate_limit_delays_the_pr_but_does_not_fail_it(make_stack: MakeStack) -> None:
    stack = make_stack({"default": FIX})
    stack.add_repository("acme/a", FILES)
    stack.github.faults.secondary_rate_limit(count=1, retry_after=1)
    run = stack.apply(stack.manifest(["acme/a"]))
    assert run.statuses() == {"acme/a": "pr_opened"}, run.stderr
    assert any(r.status == 403 for r in stack.github.requests)
    assert run.seconds >= 1.0
