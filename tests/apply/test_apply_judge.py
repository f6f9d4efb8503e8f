"""``judge:`` end to end: a separate reviewing session per repository approves, rejects or
forgets its verdict; rejections block the PR or make it a draft; judge sessions share the
quota with the workers, are deleted, and their cost is added to the repository's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from stack import AOD_TOKEN, GITHUB_TOKEN, Run, Stack

from aodfix.emulator.stack import emulator_stack

FILES = {"greet.py": 'print("Helo")\n'}
FIX = {"replace": "greet.py", "old": "Helo", "new": "Hello"}
REJECT = "It also renames things nobody asked for.\nVERDICT: reject — changes beyond the task"
SCENARIO: dict[str, Any] = {
    "default": {"edits": [FIX], "delay": 0.5},
    "acme/reject": {"edits": [FIX], "judge": {"result": REJECT}},
    "acme/draft": {"edits": [FIX], "judge": {"result": REJECT}},
    "acme/silent": {
        "edits": [FIX],
        "judge": {"result": "Looks fine to me.", "turns": {2: {"result": "Still fine."}}},
    },
}
NAMES = ["acme/approve", "acme/reject", "acme/silent"]
Results = dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Results, Run]]:
    """The stack, the results of the judged batch (read before the second run writes its
    report over it), and the run of a batch whose rejections become drafts."""
    root = tmp_path_factory.mktemp("judge")
    options: dict[str, Any] = {"heartbeat_interval": 1.0, "poll_interval": 0.02}
    with emulator_stack(
        root, aod_tokens=(AOD_TOKEN,), github_tokens=(GITHUB_TOKEN,), scenario=SCENARIO, **options
    ) as emulators:
        stack = Stack(root, emulators.github, emulators.aod, emulators.agent_id)
        for name in [*NAMES, "acme/draft"]:
            stack.add_repository(name, FILES)
        judged = stack.manifest(
            NAMES, concurrency=2, judge={"instructions": "Reject renames nobody asked for."}
        )
        first = stack.apply(judged).results()
        drafting = stack.manifest(["acme/draft"], name="drafts", judge={"on_reject": "draft"})
        yield stack, first, stack.apply(drafting)


def test_an_approving_judge_lets_the_pr_open_and_its_cost_is_added(
    runs: tuple[Stack, Results, Run],
) -> None:
    result = runs[1]["acme/approve"]
    assert result["status"] == "pr_opened", result["error"]
    assert result["judge"]["verdict"] == "approve"
    assert result["judge"]["session_id"] and result["judge"]["session_id"] != result["session_id"]
    assert result["cost_usd"] == pytest.approx(2 * 0.0123)


def test_the_judge_reads_the_task_the_criteria_and_the_diff(
    runs: tuple[Stack, Results, Run],
) -> None:
    stack = runs[0]
    review = [p for p in stack.aod.stats.prompts("acme/approve") if "VERDICT:" in p]
    assert len(review) == 1
    assert "Fix the greeting in acme/approve." in review[0]
    assert "Reject renames nobody asked for." in review[0]
    assert '+print("Hello")' in review[0]


def test_a_rejection_fails_at_judge_with_its_reason(runs: tuple[Stack, Results, Run]) -> None:
    stack, first, _ = runs
    result = first["acme/reject"]
    assert result["status"] == "failed"
    assert result["error"] == {
        "stage": "judge",
        "message": "the judge rejected the change: changes beyond the task",
    }
    assert result["judge"]["verdict"] == "reject"
    assert stack.github.pull_requests("acme/reject") == []
    assert "Hello" in result["patch"]  # kept for the reviewer of the report


def test_no_verdict_gets_one_reminder_then_fails_at_judge(runs: tuple[Stack, Results, Run]) -> None:
    result = runs[1]["acme/silent"]
    assert result["status"] == "failed"
    assert result["error"] == {
        "stage": "judge",
        "message": "the judge gave no verdict, even after a reminder turn",
    }
    assert result["judge"]["turns"] == 2 and result["judge"]["verdict"] is None


def test_with_on_reject_draft_a_rejected_change_becomes_a_labelled_draft(
    runs: tuple[Stack, Results, Run],
) -> None:
    stack, _, drafts = runs
    assert drafts.statuses() == {"acme/draft": "pr_opened"}
    (pull,) = stack.github.pull_requests("acme/draft")
    assert pull.draft is True and "aodfix:judge-rejected" in pull.labels


def test_judge_sessions_share_the_quota_and_are_all_deleted(
    runs: tuple[Stack, Results, Run],
) -> None:
    stack = runs[0]
    assert stack.aod.stats.created == 2 * (len(NAMES) + 1)  # a worker and a judge each
    assert stack.aod.stats.peak_active <= 2
    assert list(stack.aod.stats.undeleted) == []
