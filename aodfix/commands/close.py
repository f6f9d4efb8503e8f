"""``aodfix close MANIFEST``: close the batch's open PRs with a comment, delete branches."""

from __future__ import annotations

import click

from aodfix.campaign.lifecycle import close_pulls
from aodfix.commands.jobs import batch_on_github, only_option
from aodfix.commands.merge import print_outcomes
from aodfix.exit_codes import EXIT_FAILED, EXIT_OK

DEFAULT_COMMENT = "Closed by aodfix: this batch is being withdrawn."


@click.command("close")
@click.argument("manifest_path", metavar="MANIFEST", type=click.Path(dir_okay=False))
@only_option()
@click.option("--comment", default=DEFAULT_COMMENT, show_default=True, help="Left on each PR.")
@click.option("--keep-branch", is_flag=True, help="Do not delete the head branches.")
@click.option("--dry-run", is_flag=True, help="Say what would be closed; close nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def command(
    manifest_path: str,
    only: tuple[str, ...],
    comment: str,
    keep_branch: bool,
    dry_run: bool,
    as_json: bool,
) -> int:
    """Close the batch's open pull requests, with a comment, and delete their branches."""
    with batch_on_github(manifest_path, only) as (manifest, jobs, gateway):
        outcomes = close_pulls(
            gateway, manifest.name, jobs, comment=comment, keep_branch=keep_branch, dry_run=dry_run
        )
    print_outcomes(manifest.name, outcomes, as_json=as_json)
    return EXIT_FAILED if any(o.failed for o in outcomes) else EXIT_OK
