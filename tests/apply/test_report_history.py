"""Report history: an ``--only`` run after a full run keeps the whole batch in the
top-level report (newest result per repository, each naming its run), and every run's own
report is kept under ``runs/``."""

from __future__ import annotations

import json

from conftest import MakeStack

FILES = {"greet.py": 'print("Helo")\n'}
FIX = {"edits": [{"replace": "greet.py", "old": "Helo", "new": "Hello"}]}


def test_an_only_run_after_a_full_run_keeps_the_whole_batch_in_the_report(
    make_stack: MakeStack,
) -> None:
    stack = make_stack({"default": FIX})
    names = ["acme/a", "acme/b", "acme/c"]
    for name in names:
        stack.add_repository(name, FILES)
    manifest = stack.manifest(names)
    full = stack.apply(manifest)
    assert full.exit_code == 0, full.stderr
    first_run = full.report["started_at"]

    only = stack.apply(manifest, "--only", "acme/b")
    assert only.exit_code == 0, only.stderr
    top = only.report
    rows = {r["repository"]: r for r in top["results"]}
    assert sorted(rows) == names  # nothing the full run reported is lost
    assert rows["acme/b"]["status"] == "unchanged" and rows["acme/b"]["run"] != first_run
    assert rows["acme/a"]["status"] == "pr_opened" and rows["acme/a"]["run"] == first_run
    assert top["totals"]["pr_opened"] == 2 and top["totals"]["unchanged"] == 1

    runs = sorted((only.report_dir / "runs").iterdir())
    assert len(runs) == 2
    latest = json.loads((runs[-1] / "report.json").read_text())
    assert [r["repository"] for r in latest["results"]] == ["acme/b"]
    # a run's report links the transcripts where they are, two folders up
    (row,) = latest["results"]
    assert (runs[-1] / row["transcript"]).resolve() == (
        only.report_dir / rows["acme/b"]["transcript"]
    ).resolve()
    assert (runs[-1] / row["transcript"]).is_file()
    assert (runs[0] / "report.html").is_file()
    assert "run " in (only.report_dir / "report.html").read_text()
