"""``aodfix apply`` end to end on the emulators: the product's main path, as a user runs it."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import MakeStack
from stack import AOD_TOKEN, GITHUB_TOKEN, TOKENS, Run, Stack, branch_files, wait_for

from aodfix.emulator.stack import emulator_stack

GREET = 'def greet(name):\n    return "Helo, " + name\n'
FIXED = 'def greet(name):\n    return "Hello, " + name\n'
FILES = {
    "greet.py": GREET,
    "README.md": "# service\n",
    ".github/workflows/ci.yml": "on: push\njobs: {}\n",
}
FIX = {"edits": [{"replace": "greet.py", "old": "Helo", "new": "Hello"}], "delay": 0.3}


def _names(count: int) -> list[str]:
    return [f"acme/svc-{i:02d}" for i in range(1, count + 1)]


# One batch of twelve repositories, run once for the module's tests below: six ordinary
# fixes, and one repository for each other way a session can end.
MIXED = _names(12)
ORDINARY = MIXED[:6]  # the default script: fix greet.py
CHANGED = [*ORDINARY, "acme/svc-11"]  # every repository whose edits make a pull request
MIXED_SCENARIO: dict[str, Any] = {
    "default": FIX,
    "acme/svc-07": {"edits": [], "delay": 0.3},
    "acme/svc-08": {**FIX, "exit_code": 3, "stderr": "boom: tool crashed\n"},
    "acme/svc-09": {"hang": True},
    "acme/svc-10": {
        "edits": [{"replace": ".github/workflows/ci.yml", "old": "push", "new": "pull_request"}]
    },
    "acme/svc-11": {
        "edits": [
            {"write": "docs/NOTES.md", "content": "new notes\n"},
            {"write": "assets/logo.bin", "base64": "AAECAwT/AP4="},
            {"delete": "README.md"},
        ]
    },
    "acme/svc-12": {**FIX, "is_error": True, "result": "API error: overloaded"},
}


@dataclass(frozen=True)
class MixedBatch:
    stack: Stack
    run: Run

    def result(self, name: str) -> dict[str, Any]:
        return self.run.results()[name]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MixedBatch]:
    """The twelve-repository batch, applied once (both emulators and a full run are costly)."""
    root = tmp_path_factory.mktemp("mixed-batch")
    with emulator_stack(
        root,
        aod_tokens=(AOD_TOKEN,),
        github_tokens=(GITHUB_TOKEN,),
        scenario=MIXED_SCENARIO,
        heartbeat_interval=1.0,  # make_stack's settings (tests/apply/conftest.py)
        poll_interval=0.02,
    ) as emulators:
        stack = Stack(
            root=root, github=emulators.github, aod=emulators.aod, agent_id=emulators.agent_id
        )
        for name in MIXED:
            stack.add_repository(name, FILES)
        manifest = stack.manifest(
            MIXED, timeout=10, concurrency=4, pull_request={"labels": ["automated"]}
        )
        yield MixedBatch(stack, stack.apply(manifest))


def test_a_batch_with_failed_repositories_exits_1(mixed: MixedBatch) -> None:
    assert mixed.run.exit_code == 1, mixed.run.stderr


def test_every_repository_the_agent_changed_gets_a_pull_request(mixed: MixedBatch) -> None:
    statuses = mixed.run.statuses()
    assert [statuses[name] for name in CHANGED] == ["pr_opened"] * len(CHANGED)


def test_an_agent_that_changes_nothing_ends_as_no_changes(mixed: MixedBatch) -> None:
    assert mixed.result("acme/svc-07")["status"] == "no_changes"


def test_each_failed_repository_names_the_stage_it_failed_at(mixed: MixedBatch) -> None:
    results = mixed.run.results()
    failures = {n: r["error"]["stage"] for n, r in results.items() if r["status"] == "failed"}
    assert failures == {
        "acme/svc-08": "agent",  # exit code 3
        "acme/svc-09": "agent",  # hangs past the session timeout
        "acme/svc-10": "policy",  # edits a workflow
        "acme/svc-12": "agent",  # the runtime reports is_error
    }


def test_an_agent_that_exits_non_zero_fails_with_its_exit_code(mixed: MixedBatch) -> None:
    assert "code 3" in mixed.result("acme/svc-08")["error"]["message"]


def test_a_failed_agents_own_words_are_kept_in_a_transcript_the_report_links(
    mixed: MixedBatch,
) -> None:
    report_dir = mixed.run.report_dir
    transcript = report_dir / mixed.result("acme/svc-08")["transcript"]
    assert "boom: tool crashed" in transcript.read_text()
    assert "[agent log](transcripts/acme__svc-08.log)" in (report_dir / "report.md").read_text()


def test_a_runtime_that_reports_an_error_fails_with_the_runtimes_message(
    mixed: MixedBatch,
) -> None:
    assert "overloaded" in mixed.result("acme/svc-12")["error"]["message"]


def test_a_patch_touching_a_workflow_is_refused_by_name_and_kept_in_the_report(
    mixed: MixedBatch,
) -> None:
    result = mixed.result("acme/svc-10")
    assert ".github/workflows/ci.yml" in result["error"]["message"]
    assert "pull_request" in result["patch"]


def test_each_pushed_branch_holds_exactly_the_scripted_edit(mixed: MixedBatch) -> None:
    expected = {**{k: v.encode() for k, v in FILES.items()}, "greet.py": FIXED.encode()}
    for name in ORDINARY:
        assert branch_files(mixed.stack.github, name, "aodfix/e2e-fix") == expected, name


def test_new_binary_and_deleted_files_reach_the_pushed_branch(mixed: MixedBatch) -> None:
    files = branch_files(mixed.stack.github, "acme/svc-11", "aodfix/e2e-fix")
    assert "README.md" not in files
    assert files["docs/NOTES.md"] == b"new notes\n"
    assert files["assets/logo.bin"] == bytes([0, 1, 2, 3, 4, 255, 0, 254])


def test_only_the_changed_repositories_get_a_pull_request(mixed: MixedBatch) -> None:
    pulls = mixed.stack.github.pull_requests()
    assert sorted(pull.full_name for pull in pulls) == CHANGED


def test_every_pull_request_body_carries_the_batch_marker(mixed: MixedBatch) -> None:
    bodies = mixed.stack.pull_bodies()
    assert bodies and all("<!-- aodfix:batch=e2e-fix -->" in body for body in bodies)


def test_no_pull_request_body_holds_a_token(mixed: MixedBatch) -> None:
    for body in mixed.stack.pull_bodies():
        assert not any(token in body for token in TOKENS)


def test_every_session_of_the_batch_is_deleted(mixed: MixedBatch) -> None:
    assert list(mixed.stack.aod.stats.undeleted) == []


def test_sessions_fill_but_never_exceed_the_configured_concurrency(mixed: MixedBatch) -> None:
    assert mixed.stack.aod.stats.peak_active == 4


def test_quota_cap_below_concurrency_never_fails_a_repository(make_stack: MakeStack) -> None:
    stack = make_stack({"default": FIX}, max_active=2)
    names = _names(6)
    for name in names:
        stack.add_repository(name, FILES)
    run = stack.apply(stack.manifest(names, concurrency=5))
    assert run.exit_code == 0, run.stderr
    assert set(run.statuses().values()) == {"pr_opened"}
    assert stack.aod.stats.peak_active <= 2
    assert list(stack.aod.stats.undeleted) == []


def test_rerun_is_unchanged_and_a_new_effect_updates_the_same_prs(make_stack: MakeStack) -> None:
    stack = make_stack({"default": FIX})
    names = _names(3)
    for name in names:
        stack.add_repository(name, FILES)
    manifest = stack.manifest(names)
    first = stack.apply(manifest)
    assert set(first.statuses().values()) == {"pr_opened"}
    numbers = {n: r["pull_request"]["number"] for n, r in first.results().items()}

    again = stack.apply(manifest)
    assert set(again.statuses().values()) == {"unchanged"}, again.stderr
    assert len(stack.github.pull_requests()) == 3

    stack.aod.set_scenario(
        {"default": {"edits": [{"replace": "greet.py", "old": "Helo", "new": "Hi"}]}}
    )
    third = stack.apply(manifest)
    assert set(third.statuses().values()) == {"pr_updated"}, third.stderr
    assert {n: r["pull_request"]["number"] for n, r in third.results().items()} == numbers
    assert len(stack.github.pull_requests()) == 3
    for name in names:
        assert b"Hi, " in branch_files(stack.github, name, "aodfix/e2e-fix")["greet.py"]


def test_dry_run_pushes_nothing_and_reports_every_patch(make_stack: MakeStack) -> None:
    stack = make_stack({"default": FIX})
    names = _names(3)
    for name in names:
        stack.add_repository(name, FILES)
    before = len(stack.github.requests)
    run = stack.apply(stack.manifest(names), "--dry-run")
    assert run.exit_code == 0, run.stderr
    assert set(run.statuses().values()) == {"dry_run"}
    for result in run.report["results"]:
        assert '-    return "Helo, " + name' in result["patch"]
        assert '+    return "Hello, " + name' in result["patch"]
    new = stack.github.requests[before:]
    writes = [r for r in new if r.method not in ("GET", "HEAD")]
    assert [
        r
        for r in writes
        if "git-receive-pack" in r.path or "/pulls" in r.path or "/issues" in r.path
    ] == []
    assert stack.github.pull_requests() == []


def test_resume_reruns_only_what_did_not_end_well(make_stack: MakeStack) -> None:
    stack = make_stack({"default": FIX, "acme/svc-02": {"exit_code": 1}})
    names = _names(3)
    for name in names:
        stack.add_repository(name, FILES)
    manifest = stack.manifest(names)
    first = stack.apply(manifest)
    assert first.exit_code == 1
    created = stack.aod.stats.created
    stack.aod.set_scenario({"default": FIX})
    second = stack.apply(manifest, "--resume")
    assert second.exit_code == 0, second.stderr
    assert set(second.statuses().values()) == {"pr_opened"}
    assert stack.aod.stats.created == created + 1  # only the failed repository ran again


def test_resume_after_a_dry_run_pushes_and_opens_the_prs(make_stack: MakeStack) -> None:
    stack = make_stack({"default": FIX})
    names = _names(2)
    for name in names:
        stack.add_repository(name, FILES)
    manifest = stack.manifest(names)
    assert set(stack.apply(manifest, "--dry-run").statuses().values()) == {"dry_run"}
    created = stack.aod.stats.created
    # A dry-run resume of a dry run has nothing left to do ...
    assert stack.apply(manifest, "--dry-run", "--resume").exit_code == 0
    assert stack.aod.stats.created == created
    # ... but a real resume still has every branch to push and every PR to open.
    resumed = stack.apply(manifest, "--resume")
    assert resumed.exit_code == 0, resumed.stderr
    assert resumed.report["dry_run"] is False
    assert set(resumed.statuses().values()) == {"pr_opened"}
    assert len(stack.github.pull_requests()) == 2


def test_branch_with_someone_elses_commit_is_left_alone(make_stack: MakeStack) -> None:
    stack = make_stack({"default": FIX})
    stack.add_repository("acme/svc-01", FILES)
    manifest = stack.manifest(["acme/svc-01"])
    assert stack.apply(manifest).statuses() == {"acme/svc-01": "pr_opened"}

    # A person pushes a commit onto the batch branch.
    work = stack.root / "human"
    bare = stack.github.bare_path("acme/svc-01")
    git = ["git", "-c", "user.name=Dana", "-c", "user.email=dana@example.com"]
    subprocess.run([*git, "clone", "-q", "-b", "aodfix/e2e-fix", str(bare), str(work)], check=True)
    (work / "greet.py").write_text(FIXED + "# reviewed by Dana\n")
    subprocess.run([*git, "commit", "-qam", "Review tweak"], cwd=work, check=True)
    subprocess.run([*git, "push", "-q", "origin", "HEAD:aodfix/e2e-fix"], cwd=work, check=True)
    human_tip = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=work, capture_output=True, text=True, check=True
    ).stdout.strip()

    stack.aod.set_scenario(
        {"default": {"edits": [{"replace": "greet.py", "old": "Helo", "new": "Hey"}]}}
    )
    run = stack.apply(manifest)
    result = run.results()["acme/svc-01"]
    assert result["status"] == "skipped", run.stderr
    assert "not made by this aodfix batch" in result["error"]["message"]
    assert result["error"]["stage"] == "resolve"  # found before spending a session on it
    assert stack.aod.stats.created == 1
    tip = subprocess.run(
        ["git", "rev-parse", "refs/heads/aodfix/e2e-fix"],
        cwd=bare,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert tip == human_tip


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_sigint_with_sessions_running_cleans_up(make_stack: MakeStack, sig: int) -> None:
    stack = make_stack({"default": {"hang": True}})
    names = _names(5)
    for name in names:
        stack.add_repository(name, FILES)
    process = stack.start(stack.manifest(names, concurrency=5, timeout=600))
    try:
        wait_for(lambda: stack.aod.stats.active == 5, timeout=60)
        process.send_signal(sig)
        stdout, stderr = process.communicate(timeout=40)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    assert list(stack.aod.stats.undeleted) == []
    report = (stack.root / "report" / "report.json").read_text()
    assert '"interrupted": true' in report
    data = json.loads(report)
    assert [r["error"]["stage"] for r in data["results"]] == ["interrupted"] * 5
    assert all(r["session_id"] for r in data["results"])  # each knew its session
    assert "deleting sessions" in stderr
    assert not any(token in stdout + stderr + report for token in TOKENS)


def test_branch_taken_during_the_session_is_not_pushed_over(make_stack: MakeStack) -> None:
    stack = make_stack({"default": {**FIX, "delay": 3}})
    stack.add_repository("acme/svc-01", FILES)
    process = stack.start(stack.manifest(["acme/svc-01"]))
    try:
        wait_for(lambda: stack.aod.stats.active == 1, timeout=60)
        human = stack.github.commit_files(
            "acme/svc-01", "aodfix/e2e-fix", {"NOTES.md": "mine\n"}, message="Dana's work"
        )
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    report = json.loads((stack.root / "report" / "report.json").read_text())
    (result,) = report["results"]
    assert result["status"] == "skipped", stderr
    assert result["error"]["stage"] == "push"
    assert stack.github.branch_sha("acme/svc-01", "aodfix/e2e-fix") == human
    assert process.returncode == 0


def test_base_override_patch_lands_on_that_base(make_stack: MakeStack) -> None:
    stack = make_stack(
        {
            "default": {
                "edits": [
                    # What a real agent does when the finishing instructions name another base.
                    {
                        "run": "git fetch -q --depth=1 origin develop && git checkout -q -B develop"
                        " FETCH_HEAD"
                    },
                    {"replace": "greet.py", "old": "Helo", "new": "Hello"},
                ]
            }
        }
    )
    stack.add_repository("acme/svc-01", FILES)
    develop = stack.github.commit_files("acme/svc-01", "develop", {"DEV.md": "next\n"})
    run = stack.apply(stack.manifest([{"name": "acme/svc-01", "base": "develop"}]))
    result = run.results()["acme/svc-01"]
    assert result["status"] == "pr_opened", run.stderr
    assert result["base"] == "develop" and result["base_sha"] == develop
    files = branch_files(stack.github, "acme/svc-01", "aodfix/e2e-fix")
    assert files["DEV.md"] == b"next\n"  # develop's own change is kept
    assert files["greet.py"] == FIXED.encode()
    (pull,) = stack.github.pull_requests()
    assert pull.base_ref == "develop"


def test_a_branch_template_renders_each_repositorys_resolved_base(make_stack: MakeStack) -> None:
    stack = make_stack({"default": FIX})
    stack.add_repository("acme/svc-01", FILES)
    stack.add_repository("acme/svc-02", FILES, default_branch="develop")
    manifest = stack.manifest(
        ["acme/svc-01", "acme/svc-02"], pull_request={"branch": "aodfix/{{ base }}-fix"}
    )
    run = stack.apply(manifest)
    assert set(run.statuses().values()) == {"pr_opened"}, run.stderr
    assert run.results()["acme/svc-02"]["branch"] == "aodfix/develop-fix"
    assert stack.github.branch_sha("acme/svc-01", "aodfix/main-fix") is not None


def test_a_batch_branch_that_is_the_repositorys_default_branch_is_refused_before_a_session(
    make_stack: MakeStack,
) -> None:
    stack = make_stack({"default": FIX})
    stack.add_repository("acme/svc-01", FILES, default_branch="aodfix/e2e-fix")
    base = stack.github.branch_sha("acme/svc-01", "aodfix/e2e-fix")
    run = stack.apply(stack.manifest(["acme/svc-01"]))
    result = run.results()["acme/svc-01"]
    assert (result["status"], result["error"]["stage"]) == ("failed", "resolve"), result
    assert "aodfix/e2e-fix" in result["error"]["message"]
    assert stack.aod.stats.created == 0
    assert stack.github.branch_sha("acme/svc-01", "aodfix/e2e-fix") == base
