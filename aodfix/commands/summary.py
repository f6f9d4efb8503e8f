"""The lines a person reads when a batch ends, for ``apply`` and ``demo`` alike."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import click

from aodfix.report.models import Report, Status
from aodfix.safe_text import printable


def print_summary(
    report: Report, paths: Mapping[str, Path], *, totals: bool = True, every: bool = False
) -> None:
    """Totals, one line per repository with a PR or an error (``every``: per repository),
    and where the report files are."""
    if totals:
        counts = ", ".join(f"{n} {s.label}" for s in Status if (n := report.totals[s.value]))
        size = f"{len(report.results)} repositories"
        click.echo(f"{report.manifest_name}: {size}: {counts or 'none'}")
    for r in report.results:
        if r.pull_request is not None:
            click.echo(f"  {r.repository}: {r.status.label} {printable(r.pull_request.url)}")
        elif r.error is not None:
            where = f"{r.error.stage.value}: {printable(r.error.message)}"
            click.echo(f"  {r.repository}: {r.status.label} at {where}")
        elif every:
            click.echo(f"  {r.repository}: {r.status.label}")
    if report.interrupted:
        click.echo("interrupted: unfinished repositories are marked failed")
    click.echo("report: " + " ".join(str(path) for path in paths.values()))
