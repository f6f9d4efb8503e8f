"""``aodfix merge MANIFEST``: merge the batch's PRs that are ready, say why for the rest."""

from __future__ import annotations

import json

import click

from aodfix.campaign.lifecycle import PullOutcome, merge_pulls
from aodfix.commands.jobs import batch_on_github, only_option
from aodfix.exit_codes import EXIT_FAILED, EXIT_OK
from aodfix.safe_text import printable


@click.command("merge")
@click.argument("manifest_path", metavar="MANIFEST", type=click.Path(dir_okay=False))
@click.option(
    "--method", type=click.Choice(["merge", "squash", "rebase"]), default="merge", show_default=True
)
@click.option("--require-approval", is_flag=True, help="Only PRs with an approving review.")
@click.option("--keep-branch", is_flag=True, help="Do not delete the head branch after a merge.")
@only_option()
@click.option("--dry-run", is_flag=True, help="Say what would be merged; merge nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def command(
    manifest_path: str,
    method: str,
    require_approval: bool,
    keep_branch: bool,
    only: tuple[str, ...],
    dry_run: bool,
    as_json: bool,
) -> int:
    """Merge the batch's open, non-draft PRs whose checks passed and GitHub can merge."""
    with batch_on_github(manifest_path, only) as (manifest, jobs, gateway):
        outcomes = merge_pulls(
            gateway,
            manifest.name,
            jobs,
            method=method,
            require_approval=require_approval,
            keep_branch=keep_branch,
            dry_run=dry_run,
            ready_when_checks_pass=manifest.rollout.ready_when_checks_pass,
        )
    print_outcomes(manifest.name, outcomes, as_json=as_json)
    return EXIT_FAILED if any(o.failed for o in outcomes) else EXIT_OK


def print_outcomes(batch: str, outcomes: list[PullOutcome], *, as_json: bool) -> None:
    """One line per PR (or one JSON document), for merge and close."""
    if as_json:
        rows = [o.to_dict() for o in outcomes]
        click.echo(json.dumps({"batch": batch, "pull_requests": rows}, indent=2))
        return
    noun = "pull request" if len(outcomes) == 1 else "pull requests"
    click.echo(f"{batch}: {len(outcomes)} open {noun}")
    for o in outcomes:
        reason = f": {printable(o.reason)}" if o.reason else ""
        click.echo(f"  {o.repository}#{o.number}: {o.outcome}{reason}")
