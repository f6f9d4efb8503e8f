"""Rollout limits end to end: a canary of ``max_new`` PRs per run, and a budget that stops
new sessions once the batch's sessions have cost ``max_cost_usd``. Held-back repositories
are ``deferred`` before any session of theirs starts, and a later run continues."""

from __future__ import annotations

from conftest import MakeStack

FILES = {"greet.py": 'print("Helo")\n'}
FIX = {"edits": [{"replace": "greet.py", "old": "Helo", "new": "Hello"}], "delay": 0.3}
COST = 0.0123  # what the scripted agent reports per turn
NAMES = [f"acme/svc-{i:02d}" for i in range(12)]


def test_max_new_opens_a_canary_and_the_next_run_continues(make_stack: MakeStack) -> None:
    stack = make_stack({"default": FIX})
    for name in NAMES:
        stack.add_repository(name, FILES)
    manifest = stack.manifest(NAMES, concurrency=3, rollout={"max_new": 5})

    canary = stack.apply(manifest)
    assert canary.exit_code == 0, canary.stderr
    statuses = list(canary.statuses().values())
    assert statuses.count("pr_opened") == 5 and statuses.count("deferred") == 7
    assert stack.aod.stats.created == 5  # no session for a deferred repository
    deferred = [r for r in canary.results().values() if r["status"] == "deferred"]
    assert all(r["error"]["stage"] == "rollout" for r in deferred)
    assert all(r["error"]["message"].startswith("rollout.max_new:") for r in deferred)
    assert len(stack.github.pull_requests()) == 5

    more = stack.apply(manifest, "--resume")
    statuses = list(more.statuses().values())
    assert statuses.count("pr_opened") == 10 and statuses.count("deferred") == 2
    assert len(stack.github.pull_requests()) == 10
    assert list(stack.aod.stats.undeleted) == []


def test_a_budget_stops_new_sessions_and_defers_the_rest(make_stack: MakeStack) -> None:
    stack = make_stack({"default": FIX})
    for name in NAMES:
        stack.add_repository(name, FILES)
    budget = round(COST * 4.9, 4)  # about five sessions
    manifest = stack.manifest(NAMES, concurrency=2, rollout={"max_cost_usd": budget})

    run = stack.apply(manifest)
    assert run.exit_code == 0, run.stderr
    created = stack.aod.stats.created
    assert 5 <= created <= 5 + 2  # the budget, plus what was in flight when it ran out
    deferred = [r for r in run.results().values() if r["status"] == "deferred"]
    assert len(deferred) == len(NAMES) - created
    assert all(r["error"]["message"].startswith("budget:") for r in deferred)
    spent = run.report["budget"]
    assert spent["limit_usd"] == budget
    assert spent["spent_usd"] == round(created * COST, 6)
    assert list(stack.aod.stats.undeleted) == []


def test_max_open_keeps_the_open_prs_under_the_limit_as_they_merge(
    make_stack: MakeStack,
) -> None:
    stack = make_stack({"default": FIX})
    for name in NAMES:
        stack.add_repository(name, FILES)
    manifest = stack.manifest(NAMES, concurrency=4, rollout={"max_open": 5})

    first = stack.apply(manifest)
    statuses = first.statuses()
    opened = sorted(n for n, s in statuses.items() if s == "pr_opened")
    assert len(opened) == 5 and list(statuses.values()).count("deferred") == 7
    assert stack.aod.stats.created == 5
    for name in opened[:2]:
        (pull,) = stack.github.pull_requests(name)
        stack.github.merge_pull(name, pull.number)

    again = stack.apply(manifest, "--resume")
    statuses = again.statuses()
    assert list(statuses.values()).count("pr_opened") == 7  # exactly two more
    assert list(statuses.values()).count("deferred") == 5
    assert sum(1 for p in stack.github.pull_requests() if p.state == "open") == 5
