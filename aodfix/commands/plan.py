"""``aodfix plan MANIFEST``: show what a batch would do, without running anything.

Selectors (``select:``) are expanded on GitHub with the batch's token; a manifest without
them is planned offline."""

from __future__ import annotations

import json
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from aodfix.commands.jobs import batch_jobs, only_option
from aodfix.commands.summary import plural
from aodfix.manifest import load_manifest
from aodfix.plan import RepoJob, expand, shard_matrix
from aodfix.redact import redact
from aodfix.settings.services import Settings


@click.command("plan")
@click.argument("manifest_path", metavar="MANIFEST", type=click.Path(dir_okay=False))
@only_option("Plan only these repositories")
@click.option("--json", "as_json", is_flag=True, help="Print the jobs as JSON.")
@click.option(
    "--shards",
    type=click.IntRange(1, 256),
    help="Print a GitHub Actions matrix for running the batch as N shards.",
)
def command(manifest_path: str, only: tuple[str, ...], as_json: bool, shards: int | None) -> None:
    """Expand MANIFEST into per-repository jobs (overrides applied, templates rendered)."""
    manifest = load_manifest(manifest_path)
    for warning in manifest.warnings:  # on stderr, also beside --json
        click.echo(f"{warning.file}:{warning.line}: warning: {warning.message}", err=True)
    if manifest.selectors:
        jobs, _ = batch_jobs(manifest, Settings.for_github().github, only=only)
    else:
        jobs = expand(manifest, only=only)
    if shards is not None:
        click.echo(json.dumps(shard_matrix(shards)))
        return
    if as_json:
        payload = {
            "manifest": {"name": manifest.name, "path": manifest_path},
            "concurrency": manifest.concurrency,
            "timeout": manifest.timeout,
            "jobs": [_job_json(job) for job in jobs],
        }
        click.echo(redact(json.dumps(payload, indent=2)))
        return
    console = Console(soft_wrap=False)
    if not console.is_terminal:
        console.width = 200
    title = f"{manifest.name}: {plural(len(jobs), 'repository')}"
    table = Table(title=title, title_justify="left")
    for column in ("repository", "base", "branch"):
        table.add_column(column, no_wrap=True)
    for column in ("title", "labels", "reviewers", "run"):
        table.add_column(column, overflow="fold")
    for job in jobs:
        table.add_row(
            job.repository,
            job.base or "default",
            job.branch,
            job.title,
            ", ".join(job.labels),
            ", ".join(job.reviewers + tuple(f"team:{t}" for t in job.team_reviewers)),
            "skip" if job.skip else "yes",
        )
    console.print(table)


def _job_json(job: RepoJob) -> dict[str, Any]:
    """A job as ``plan --json`` shows it: what the batch will do, not the templates behind it."""
    return {
        "repository": job.repository,
        "owner": job.owner,
        "repo": job.repo,
        "base": job.base,
        "prompt": job.prompt,
        "branch": job.branch,
        "title": job.title,
        "commit_message": job.commit_message,
        "labels": list(job.labels),
        "reviewers": list(job.reviewers),
        "team_reviewers": list(job.team_reviewers),
        "assignees": list(job.assignees),
        "draft": job.draft,
        "skip": job.skip,
        "rendered_base": job.rendered_base,
        "selected_by": job.selected_by,
    }
