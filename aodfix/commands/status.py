"""``aodfix status MANIFEST``: the batch's pull requests, their checks and reviews."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from aodfix.campaign.status import campaign_status
from aodfix.campaign.status_page import render_status_page
from aodfix.commands.jobs import batch_on_github, only_option
from aodfix.redact import redact
from aodfix.safe_text import printable


@click.command("status")
@click.argument("manifest_path", metavar="MANIFEST", type=click.Path(dir_okay=False))
@only_option()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a self-contained page with a burndown chart to this file.",
)
def command(
    manifest_path: str, only: tuple[str, ...], as_json: bool, html_path: Path | None
) -> None:
    """Show where each repository's pull request of this batch stands."""
    with batch_on_github(manifest_path, only) as (manifest, jobs, gateway):
        ready = manifest.rollout.ready_when_checks_pass
        rows = campaign_status(gateway, manifest.name, jobs, ready_when_checks_pass=ready)
    totals = Counter(row.state for row in rows)
    if html_path is not None:
        html_path.write_text(redact(render_status_page(manifest.name, rows)), encoding="utf-8")
        click.echo(f"status page: {html_path}", err=as_json)
    if as_json:
        payload = {
            "batch": manifest.name,
            "totals": dict(sorted(totals.items())),
            "pull_requests": [r.to_dict() for r in rows],
        }
        click.echo(json.dumps(payload, indent=2))
        return
    console = Console(soft_wrap=False)
    if not console.is_terminal:
        console.width = 200
    noun = "repository" if len(rows) == 1 else "repositories"
    counts = ", ".join(f"{n} {state}" for state, n in sorted(totals.items()))
    table = Table(
        title=f"{manifest.name}: {len(rows)} {noun} ({counts or 'none'})", title_justify="left"
    )
    for column in ("repository", "state", "PR", "checks", "review", "updated"):
        table.add_column(column, overflow="fold")
    # Grouped by owner: the teams a campaign reaches.
    for row in sorted(rows, key=lambda r: r.repository.lower()):
        cells = (
            row.repository,
            row.state,
            row.url or row.error or "",
            row.checks_state + (f" ({row.checks})" if row.checks and row.checks != "none" else ""),
            row.review,
            row.updated_at or "",
        )
        table.add_row(*(escape(printable(cell)) for cell in cells))
    console.print(table)
