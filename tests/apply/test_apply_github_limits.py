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
    # On the PR's create (a POST), not on the preflight's first read.
    stack.github.faults.secondary_rate_limit(count=1, retry_after=1, methods=["POST"])
    run = stack.apply(stack.manifest(["acme/a"]))
    assert run.statuses() == {"acme/a": "pr_opened"}, run.stderr
    assert any(r.status == 403 for r in stack.github.requests)
    assert run.seconds >= 1.0


def test_pr_held_up_by_a_long_rate_limit_opens_on_resume_without_a_new_session(
    make_stack: MakeStack,
) -> None:
    stack = make_stack({"default": FIX})
    stack.add_repository("acme/a", FILES)
    stack.github.faults.secondary_rate_limit(count=1, retry_after=60, methods=["POST"])
    manifest = stack.manifest(["acme/a"])

    first = stack.apply(manifest, AODFIX_GITHUB_MAX_WAIT="5")
    result = first.results()["acme/a"]
    assert first.exit_code == 0, first.stderr  # deferred, not failed
    assert result["status"] == "deferred" and result["error"]["stage"] == "pull_request"
    assert "rate limit" in result["error"]["message"] and "--resume" in result["error"]["message"]
    assert stack.github.branch_sha("acme/a", "aodfix/e2e-fix") is not None  # pushed
    assert stack.github.pull_requests() == []

    second = stack.apply(manifest, "--resume")
    assert second.exit_code == 0, second.stderr
    resumed = second.results()["acme/a"]
    assert resumed["status"] == "pr_opened"
    assert resumed["session_id"] == result["session_id"]
    assert stack.aod.stats.created == 1  # no second session for it
    (pull,) = stack.github.pull_requests()
    assert result["session_id"] in pull.body


def test_a_rate_limit_at_resolve_is_a_readable_failure_not_an_internal_error(
    make_stack: MakeStack,
) -> None:
    stack = make_stack({"default": FIX})
    stack.add_repository("acme/a", FILES)
    stack.github.faults.primary_rate_limit(count=5, reset_in=600, methods=["GET"])
    run = stack.apply(stack.manifest(["acme/a"]), AODFIX_GITHUB_MAX_WAIT="5")
    result = run.results()["acme/a"]
    assert (result["status"], result["error"]["stage"]) == ("failed", "resolve"), run.stderr
    assert "rate limit" in result["error"]["message"]
    assert "internal error" not in result["error"]["message"]
    assert stack.aod.stats.created == 0


def test_prs_past_the_content_budget_are_deferred_whole_and_open_on_resume(
    make_stack: MakeStack,
) -> None:
    """Two writes per PR (create + labels) under a budget of three per minute: the first PR
    goes, the second would wait past AODFIX_GITHUB_MAX_WAIT, so nothing of it is sent."""
    stack = make_stack({"default": FIX})
    names = ["acme/a", "acme/b"]
    for name in names:
        stack.add_repository(name, FILES)
    manifest = stack.manifest(names, concurrency=1, pull_request={"labels": ["automated"]})

    first = stack.apply(manifest, AODFIX_GITHUB_CONTENT_LIMITS="3/60", AODFIX_GITHUB_MAX_WAIT="5")
    assert first.exit_code == 0, first.stderr
    statuses = first.statuses()
    assert sorted(statuses.values()) == ["deferred", "pr_opened"], first.stderr
    (late,) = [name for name, status in statuses.items() if status == "deferred"]
    error = first.results()[late]["error"]
    assert error["stage"] == "pull_request"
    assert "3 writes per 60 s" in error["message"] and "--resume" in error["message"]
    assert stack.github.branch_sha(late, "aodfix/e2e-fix") is not None  # pushed all the same
    writes = [r for r in stack.github.requests if r.is_write]
    assert len(writes) == 2 and all(r.status < 400 for r in writes)  # none refused, none half
    (pull,) = stack.github.pull_requests()
    assert pull.labels == ["automated"]

    second = stack.apply(manifest, "--resume")
    assert second.exit_code == 0, second.stderr
    assert second.statuses() == {"acme/a": "pr_opened", "acme/b": "pr_opened"}
    assert stack.aod.stats.created == 2  # the deferred one got only its PR
    assert all(p.labels == ["automated"] for p in stack.github.pull_requests())


def test_a_malformed_content_limit_is_one_line_before_any_session(make_stack: MakeStack) -> None:
    stack = make_stack({"default": FIX})
    stack.add_repository("acme/a", FILES)
    run = stack.apply(stack.manifest(["acme/a"]), AODFIX_GITHUB_CONTENT_LIMITS="80 per minute")
    assert run.exit_code == 2
    assert "AODFIX_GITHUB_CONTENT_LIMITS" in run.stderr and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert stack.aod.stats.created == 0
