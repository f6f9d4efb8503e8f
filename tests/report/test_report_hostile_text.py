"""Agent- and report-derived text cannot break out of report.md or report.html."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from aodfix.cli import cli
from aodfix.patch import Diffstat
from aodfix.report.files import write_reports
from aodfix.report.models import ErrorInfo, PullRequestRef, RepoResult, Report, Stage, Status

FENCE_BREAKOUT = (
    "diff --git a/x.md b/x.md\n--- a/x.md\n+++ b/x.md\n@@ -1 +1,3 @@\n-a\n"
    "+~~~~~~\n+<img src=x onerror=alert(1)>\n+```\n"
)


def _report(*results: RepoResult) -> Report:
    return Report("b", "m.yml", True, "2026-12-01T10:00:00Z", "2026-12-01T10:01:00Z", list(results))


def test_a_patch_cannot_close_the_markdown_fence(tmp_path: Path) -> None:
    result = RepoResult("acme/a", Status.DRY_RUN, diffstat=Diffstat(1, 3, 1), patch=FENCE_BREAKOUT)
    md = write_reports(_report(result), tmp_path)["md"].read_text()
    lines = md.splitlines()
    opening = next(line for line in lines if line.endswith("diff") and line.startswith("~"))
    fence = opening.removesuffix("diff")
    assert len(fence) > 6
    start = lines.index(opening)
    end = lines.index(fence, start + 1)
    assert "<img src=x onerror=alert(1)>" in "\n".join(lines[start:end])  # inside the fence
    assert "onerror" not in "\n".join(lines[end:])


def test_error_text_in_a_table_cell_cannot_open_html(tmp_path: Path) -> None:
    message = "<!-- hide the rest --> <script>x()</script> | forged | cell"
    result = RepoResult("acme/a", Status.FAILED, error=ErrorInfo(Stage.AGENT, message))
    md = write_reports(_report(result), tmp_path)["md"].read_text()
    row = next(line for line in md.splitlines() if line.startswith("| `acme/a`"))
    assert "<!--" not in row and "<script>" not in row
    assert "&lt;script&gt;" in row
    cells = re.split(r"(?<!\\)\|", row)[1:-1]
    assert len(cells) == 7  # the pipes in the message did not add cells


def test_a_tampered_report_renders_no_javascript_links(tmp_path: Path) -> None:
    result = RepoResult(
        "acme/a",
        Status.PR_OPENED,
        pull_request=PullRequestRef(1, "javascript:alert(document.domain)"),
        transcript="data:text/html,<script>alert(1)</script>",
        error=None,
    )
    source = tmp_path / "tampered.json"
    source.write_text(json.dumps(_report(result).to_dict()))
    for fmt in ("md", "html"):
        out = tmp_path / f"out.{fmt}"
        done = CliRunner().invoke(cli, ["report", str(source), "--format", fmt, "-o", str(out)])
        assert done.exit_code == 0, done.output
        text = out.read_text()
        assert "javascript:" not in text
        assert "data:text/html" not in text
        assert "#1" in text  # the PR number is still shown, as text
