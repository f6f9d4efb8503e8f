"""``aodfix status MANIFEST``: the batch's pull requests, their checks and reviews."""

from __future__ import annotations

import json

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from aodfix.commands.jobs import batch_jobs
from aodfix.forge.github_client import GitHubGateway
from aodfix.forge.preflight import check_github
from aodfix.manifest import load_manifest
from aodfix.safe_text import printable
from aodfix.settings.services import Settings
from aodfix.status import batch_status


@click.command("status")
@click.argument("manifest_path", metavar="MANIFEST", type=click.Path(dir_okay=False))
@click.option("--only", multiple=True, metavar="OWNER/NAME", help="Only these repositories.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def command(manifest_path: str, only: tuple[str, ...], as_json: bool) -> None:
    """Show where each repository's pull request of this batch stands."""
    manifest = load_manifest(manifest_path)
    settings = Settings.for_github().github
    listed, _ = batch_jobs(manifest, settings, only=only)
    jobs = [job for job in listed if not job.skip]
    # An unreachable API or a refused token: one line, exit 2.
    check_github(settings, jobs[0].repository if jobs else None)
    gateway = GitHubGateway(settings)
    try:
        rows = batch_status(gateway, manifest.name, jobs)
    finally:
        gateway.close()
    if as_json:
        click.echo(
            json.dumps(
                {"batch": manifest.name, "pull_requests": [r.to_dict() for r in rows]}, indent=2
            )
        )
        return
    console = Console(soft_wrap=False)
    if not console.is_terminal:
        console.width = 200
    table = Table(title=f"{manifest.name}: {len(rows)} repositories", title_justify="left")
    for column in ("repository", "state", "PR", "checks", "review"):
        table.add_column(column, overflow="fold")
    for row in rows:
        cells = (row.repository, row.state, row.url or row.error or "", row.checks, row.review)
        table.add_row(*(escape(printable(cell)) for cell in cells))
    console.print(table)
