"""The state file survives a torn last line and keeps only the latest result per repository."""

from __future__ import annotations

from pathlib import Path

from aodfix.report.models import ErrorInfo, PullRequestRef, RepoResult, Stage, Status
from aodfix.state import StateWriter, final_for_resume, read_results


def test_round_trip_latest_wins_and_torn_line_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "b.state.jsonl"
    failed = RepoResult("acme/api", Status.FAILED, error=ErrorInfo(Stage.AGENT, "exit 1"))
    opened = RepoResult("acme/api", Status.PR_OPENED, pull_request=PullRequestRef(3, "u"))
    other = RepoResult("acme/web", Status.NO_CHANGES)
    with StateWriter(path) as state:
        state.append(failed)
        state.append(other)
        state.append(opened)
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"result": {"repository": "acme/torn", "sta')  # a crash mid-write
    results = read_results(path)
    assert set(results) == {"acme/api", "acme/web"}
    assert results["acme/api"] == opened
    assert results["acme/web"] == other


def test_a_failed_result_is_retried_on_resume_and_a_finished_one_is_not() -> None:
    for dry_run in (False, True):
        assert not final_for_resume(RepoResult("acme/api", Status.FAILED), dry_run=dry_run)
        for status in (Status.PR_OPENED, Status.NO_CHANGES, Status.SKIPPED):
            assert final_for_resume(RepoResult("acme/api", status), dry_run=dry_run), status


def test_a_dry_run_result_ends_a_repository_only_for_a_dry_run_resume() -> None:
    patch = RepoResult(repository="acme/api", status=Status.DRY_RUN)
    assert final_for_resume(patch, dry_run=True)
    assert not final_for_resume(patch, dry_run=False)


def test_missing_state_file_is_empty(tmp_path: Path) -> None:
    assert read_results(tmp_path / "none.jsonl") == {}
