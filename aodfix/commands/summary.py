"""The lines a person reads when a batch ends, for ``apply`` and ``demo`` alike."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import click

from aodfix.progress import failure_phrase, report_paths
from aodfix.report.models import Report, Status
from aodfix.safe_text import printable


def plural(count: int, noun: str) -> str:
    """Counts as a person reads them: "1 repository", "2 repositories"."""
    if count == 1:
        return f"1 {noun}"
    return f"{count} {noun[:-1]}ies" if noun.endswith("y") else f"{count} {noun}s"


def print_summary(
    report: Report, paths: Mapping[str, Path], *, totals: bool = True, every: bool = False
) -> None:
    """Totals, one line per repository with a PR or an error (``every``: per repository),
    and, last, where the report files are (report.html first: it is what people open)."""
    if totals:
        counts = ", ".join(f"{n} {s.label}" for s in Status if (n := report.totals[s.value]))
        size = plural(len(report.results), "repository")
        click.echo(f"{report.manifest_name}: {size}: {counts or 'none'}")
    for r in report.results:
        if r.pull_request is not None:
            click.echo(f"  {r.repository}: {r.status.label} {printable(r.pull_request.url)}")
        elif r.error is not None:
            click.echo(f"  {r.repository}: {r.status.label} {printable(failure_phrase(r.error))}")
        elif every:
            click.echo(f"  {r.repository}: {r.status.label}")
    if report.interrupted:
        click.echo("interrupted: unfinished repositories are marked failed")
    click.echo("report: " + " ".join(str(path) for _, path in report_paths(paths)))
