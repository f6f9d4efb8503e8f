"""Report files: Markdown table, self-contained HTML, JSON round trip, the report command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from aodfix.cli import cli
from aodfix.patch import Diffstat
from aodfix.report.files import write_reports
from aodfix.report.models import (
    ErrorInfo,
    PullRequestRef,
    RepoResult,
    Report,
    Stage,
    Status,
    Timings,
)
from aodfix.settings.services import ActionsContext

PATCH = (
    "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n@@ -1 +1,2 @@\n-x = 1\n"
    "+x = 2\n+# </script><script>alert('pwned')</script>\n"
)


@pytest.fixture
def report() -> Report:
    return Report(
        manifest_name="pin-actions",
        manifest_path="fleet.yml",
        dry_run=False,
        started_at="2026-11-26T10:00:00Z",
        finished_at="2026-11-26T10:05:00Z",
        results=[
            RepoResult(
                "acme/api",
                Status.PR_OPENED,
                branch="aodfix/pin-actions",
                pull_request=PullRequestRef(7, "https://github.com/acme/api/pull/7"),
                diffstat=Diffstat(1, 2, 1),
                timings=Timings(queued=1.0, session=30.5, total=33.0),
                turns=1,
                cost_usd=0.12,
                summary="Pinned | all actions",
            ),
            RepoResult(
                "acme/web",
                Status.FAILED,
                error=ErrorInfo(Stage.POLICY, "policy: .github/workflows/ci.yml: forbidden"),
                diffstat=Diffstat(1, 2, 1),
                patch=PATCH,
            ),
            RepoResult("acme/docs", Status.NO_CHANGES, turns=1),
        ],
    )


def test_files_are_written_and_json_round_trips(tmp_path: Path, report: Report) -> None:
    paths = write_reports(report, tmp_path / "out")
    assert {p.name for p in paths.values()} == {"report.json", "report.md", "report.html"}
    data = json.loads(paths["json"].read_text())
    assert data["totals"]["pr_opened"] == 1 and data["totals"]["failed"] == 1
    assert data["results"][1]["error"] == {
        "stage": "policy",
        "message": "policy: .github/workflows/ci.yml: forbidden",
    }
    assert Report.from_dict(data) == report


def test_markdown_has_a_row_per_repository_and_the_refused_patch(
    report: Report, tmp_path: Path
) -> None:
    md = write_reports(report, tmp_path)["md"].read_text()
    rows = [line for line in md.splitlines() if line.startswith("| `")]
    assert len(rows) == 3
    assert "[#7](https://github.com/acme/api/pull/7)" in rows[0]
    assert "policy: .github/workflows/ci.yml" in rows[1]
    assert "Pinned \\| all" not in md  # summaries are not in the table
    assert "<details><summary>acme/web (failed)</summary>" in md
    assert "+x = 2" in md


def test_html_is_self_contained_and_escapes_patch_text(report: Report, tmp_path: Path) -> None:
    html = write_reports(report, tmp_path)["html"].read_text()
    assert "<script>alert('pwned')</script>" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//(?!github\.com/acme)""", html)
    assert "<link" not in html
    assert html.count('<tbody class="repo"') == 3
    assert 'data-status="failed"' in html


def test_step_summary_is_appended(tmp_path: Path, report: Report) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    actions = ActionsContext.from_environment({"GITHUB_STEP_SUMMARY": str(summary)})
    write_reports(report, tmp_path / "out", step_summary=actions.step_summary)
    text = summary.read_text()
    assert text.startswith("earlier step\n")
    assert "# aodfix: pin-actions" in text


def test_report_command_rerenders(tmp_path: Path, report: Report) -> None:
    paths = write_reports(report, tmp_path)
    runner = CliRunner()
    md = runner.invoke(cli, ["report", str(paths["json"]), "--format", "md"])
    assert md.exit_code == 0 and md.output == paths["md"].read_text()
    out = tmp_path / "again.html"
    html = runner.invoke(cli, ["report", str(paths["json"]), "--format", "html", "-o", str(out)])
    assert html.exit_code == 0 and out.read_text() == paths["html"].read_text()
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    failed = runner.invoke(cli, ["report", str(bad)])
    assert failed.exit_code == 2 and "not an aodfix report" in failed.output


def test_shard_reports_merge_into_one(tmp_path: Path, report: Report) -> None:
    first = Report(
        report.manifest_name,
        "m.yml",
        False,
        "2026-11-26T09:00:00Z",
        "2026-11-26T09:30:00Z",
        report.results[:2],
    )
    retried = RepoResult("acme/web", Status.PR_OPENED, pull_request=PullRequestRef(9, "u"))
    second = Report(
        report.manifest_name,
        "m.yml",
        False,
        "2026-11-26T09:05:00Z",
        "2026-11-26T09:40:00Z",
        [report.results[2], retried],
    )
    paths = [
        write_reports(r, tmp_path / name)["json"]
        for r, name in ((first, "shard-1"), (second, "shard-2"))
    ]
    out = tmp_path / "merged.json"
    done = CliRunner().invoke(cli, ["report", *map(str, paths), "--format", "json", "-o", str(out)])
    assert done.exit_code == 0, done.output
    merged = json.loads(out.read_text())
    assert [r["repository"] for r in merged["results"]] == ["acme/api", "acme/web", "acme/docs"]
    assert merged["results"][1]["status"] == "pr_opened"  # the later shard wins
    assert merged["started_at"] == "2026-11-26T09:00:00Z"
    assert merged["finished_at"] == "2026-11-26T09:40:00Z"
    assert merged["totals"]["pr_opened"] == 2

    other = Report("another-batch", "x.yml", False, "t", "t", [])
    stray = write_reports(other, tmp_path / "stray")["json"]
    refused = CliRunner().invoke(cli, ["report", str(paths[0]), str(stray)])
    assert refused.exit_code == 2 and "different batches" in refused.output
