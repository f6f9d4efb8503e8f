"""Report history: each run keeps its own report, and the top-level one the whole batch.

A run's own report goes to ``runs/<started_at>/``; the top-level ``report.*`` shows the
latest known result of every repository of the batch — the previous top-level report's
rows, replaced by this run's where it ran them — each row naming the run it came from
(``run``). So an ``--only`` run after a full run leaves the full batch visible. Dry runs
and real runs keep separate histories (a dry run never hides a real PR, nor the reverse).
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from aodfix.report.models import Report


def run_folder(report_dir: Path, report: Report) -> Path:
    """``runs/<started_at>`` (with ``:`` left out, for every file system)."""
    return report_dir / "runs" / re.sub(r"[^0-9A-Za-z._-]", "", report.started_at)


def as_run_report(report: Report) -> Report:
    """``report`` as its run folder keeps it: transcript paths are relative to the report,
    and the transcripts stay in the top-level ``transcripts/``, two folders up."""
    rows = [
        dataclasses.replace(r, transcript=f"../../{r.transcript}") if r.transcript else r
        for r in report.results
    ]
    return dataclasses.replace(report, results=rows)


def with_run(report: Report) -> Report:
    """This run's report with every row naming this run."""
    rows = [r if r.run else dataclasses.replace(r, run=report.started_at) for r in report.results]
    return dataclasses.replace(report, results=rows)


def merged_with_previous(report: Report, report_dir: Path) -> Report:
    """The batch's latest known result per repository: the previous top-level report of
    the same batch and kind (dry or real), with this run's rows replacing its own."""
    previous = _previous(report_dir / "report.json")
    if (
        previous is None
        or previous.manifest_name != report.manifest_name
        or previous.dry_run != report.dry_run
    ):
        return report
    now = {r.repository.lower(): r for r in report.results}
    rows = [now.pop(r.repository.lower(), r) for r in previous.results]
    rows += [r for r in report.results if r.repository.lower() in now]
    return dataclasses.replace(report, results=rows, started_at=previous.started_at)


def _previous(path: Path) -> Report | None:
    try:
        return Report.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None
