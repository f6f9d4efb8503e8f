"""``verify:`` end to end: the repository's checks run in the session by the collect command,
feedback turns after a failing check, failures that block the PR or make it a draft, checks
that already fail on the base, and an agent whose prose claims success it never showed.

One batch of six repositories, each scripted for one behaviour, runs once for the module.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import MakeStack
from stack import AOD_TOKEN, GITHUB_TOKEN, Run, Stack, branch_files

from aodfix.emulator.stack import emulator_stack

# Passes on the base and on the fix; the wrong attempt breaks it.
CHECK = 'grep -q "print(" greet.py || { echo "no print call left: $(cat greet.py)"; exit 1; }\n'
FILES = {"greet.py": 'print("Helo")\n', "check.sh": CHECK}
FIX = {"replace": "greet.py", "old": "Helo", "new": "Hello"}
WRONG = {"replace": "greet.py", "old": 'print("Helo")', "new": 'prnt("Hello")'}
FIX_WRONG = {"replace": "greet.py", "old": "prnt(", "new": "print("}
SCENARIO: dict[str, Any] = {
    "default": {"edits": [FIX]},
    # a first attempt that fails the check; the feedback turn fixes it
    "acme/second": {
        "edits": [WRONG],
        "turns": {2: {"edits": [FIX_WRONG]}},
    },
    "acme/never": {"edits": [WRONG]},  # follow-up turns change nothing
    "acme/draft": {"edits": [WRONG]},
    # says the checks passed, never runs the collect command
    "acme/liar": {
        "edits": [FIX],
        "forget_collect": True,
        "result": "All checks passed.",
        "turns": {2: {"forget_collect": True, "result": "I ran the checks: all green."}},
    },
}
NAMES = ["acme/pass", "acme/second", "acme/never", "acme/draft", "acme/base-fails", "acme/liar"]


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Run]]:
    root = tmp_path_factory.mktemp("verify")
    options: dict[str, Any] = {"heartbeat_interval": 1.0, "poll_interval": 0.02}
    with emulator_stack(
        root,
        aod_tokens=(AOD_TOKEN,),
        github_tokens=(GITHUB_TOKEN,),
        scenario=SCENARIO,
        **options,
    ) as emulators:
        stack = Stack(root, emulators.github, emulators.aod, emulators.agent_id)
        for name in NAMES:
            stack.add_repository(name, FILES)
        repositories: list[Any] = [
            "acme/pass",
            "acme/second",
            "acme/never",
            {"name": "acme/draft", "verify": {"commands": ["sh check.sh"], "on_failure": "draft"}},
            {"name": "acme/base-fails", "verify": {"commands": ["sh check.sh", "test -f READY"]}},
            "acme/liar",
        ]
        manifest = stack.manifest(
            repositories, concurrency=6, verify={"commands": ["sh check.sh"], "rounds": 2}
        )
        yield stack, stack.apply(manifest)


def _result(batch: tuple[Stack, Run], name: str) -> dict[str, Any]:
    return batch[1].results()[name]


def test_a_change_that_passes_opens_its_pr_with_every_check_at_exit_0(
    batch: tuple[Stack, Run],
) -> None:
    result = _result(batch, "acme/pass")
    assert result["status"] == "pr_opened"
    assert result["verify"]["rounds"] == 0
    assert [(c["command"], c["exit_code"]) for c in result["verify"]["commands"]] == [
        ("sh check.sh", 0)
    ]
    (pull,) = batch[0].github.pull_requests("acme/pass")
    assert "passed: `sh check.sh`" in (pull.body or "")


def test_a_failing_first_attempt_gets_a_feedback_turn_and_the_pr_has_the_second_tree(
    batch: tuple[Stack, Run],
) -> None:
    stack, _ = batch
    result = _result(batch, "acme/second")
    assert result["status"] == "pr_opened", result["error"]
    assert result["verify"]["rounds"] == 1 and result["turns"] == 2
    files = branch_files(stack.github, "acme/second", result["branch"])
    assert files["greet.py"] == b'print("Hello")\n'
    feedback = stack.aod.stats.prompts("acme/second")[1]
    assert "`sh check.sh` failed on your change (exit code 1)" in feedback
    assert 'no print call left: prnt("Hello")' in feedback  # the check's own output


def test_a_check_that_never_passes_fails_at_verify_with_the_patch_and_output_kept(
    batch: tuple[Stack, Run],
) -> None:
    stack, _ = batch
    result = _result(batch, "acme/never")
    assert result["status"] == "failed"
    assert result["error"]["stage"] == "verify"
    assert result["error"]["message"] == "`sh check.sh` failed (exit 1) after 2 feedback turns"
    assert result["verify"]["rounds"] == 2 and result["turns"] == 3
    (check,) = result["verify"]["commands"]
    assert check["pre_existing"] is False and "no print call left" in check["output_tail"]
    assert 'prnt("Hello")' in result["patch"]
    assert stack.github.branch_sha("acme/never", result["branch"]) is None  # nothing pushed


def test_with_on_failure_draft_a_failing_change_becomes_a_labelled_draft(
    batch: tuple[Stack, Run],
) -> None:
    stack, _ = batch
    result = _result(batch, "acme/draft")
    assert result["status"] == "pr_opened"
    (pull,) = stack.github.pull_requests("acme/draft")
    assert pull.draft is True
    assert "aodfix:verify-failed" in pull.labels


def test_a_check_that_fails_on_the_base_too_does_not_block_the_change(
    batch: tuple[Stack, Run],
) -> None:
    result = _result(batch, "acme/base-fails")
    assert result["status"] == "pr_opened", result["error"]
    checks = {c["command"]: c for c in result["verify"]["commands"]}
    assert checks["sh check.sh"]["exit_code"] == 0
    assert checks["test -f READY"]["exit_code"] == 1
    assert checks["test -f READY"]["pre_existing"] is True
    assert result["verify"]["rounds"] == 0  # nothing the change could fix


def test_prose_that_claims_the_checks_passed_is_not_evidence(batch: tuple[Stack, Run]) -> None:
    result = _result(batch, "acme/liar")
    assert result["status"] == "failed"
    assert result["error"]["stage"] == "collect"
    assert result["pull_request"] is None


def test_the_report_shows_each_check_and_every_session_is_deleted(
    batch: tuple[Stack, Run],
) -> None:
    stack, run = batch
    markdown = (run.report_dir / "report.md").read_text()
    assert "sh check.sh: failed (exit 1)" in markdown
    assert "test -f READY: fails on the base too" in markdown
    assert list(stack.aod.stats.undeleted) == []
    assert run.exit_code == 1


def test_a_dry_run_verifies_and_judges_too(make_stack: MakeStack) -> None:
    stack = make_stack({"default": {"edits": [WRONG], "turns": {2: {"edits": [FIX_WRONG]}}}})
    stack.add_repository("acme/dry", FILES)
    manifest = stack.manifest(
        ["acme/dry"], verify={"commands": ["sh check.sh"]}, judge={"instructions": "Be strict."}
    )
    run = stack.apply(manifest, "--dry-run")
    result = run.results()["acme/dry"]
    assert result["status"] == "dry_run", result["error"]
    assert result["verify"]["rounds"] == 1
    assert result["judge"]["verdict"] == "approve"
    assert stack.aod.stats.created == 2 and list(stack.aod.stats.undeleted) == []
