"""``aodfix apply MANIFEST``: run the batch — sessions, patches, branches, pull requests."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from aodfix.apply import ApplyResult, run_apply
from aodfix.errors import ConfigurationError
from aodfix.exit_codes import EXIT_USAGE
from aodfix.manifest import load_manifest
from aodfix.plan import expand, parse_shard, select_shard
from aodfix.progress import progress_for
from aodfix.report.markdown import STATUS_LABEL
from aodfix.safe_text import printable


@click.command("apply")
@click.argument("manifest_path", metavar="MANIFEST", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Run sessions and verify patches; push nothing.")
@click.option(
    "--concurrency", type=click.IntRange(1, 1000), help="Sessions at once (default: manifest)."
)
@click.option("--only", multiple=True, metavar="OWNER/NAME", help="Run only these repositories.")
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("aodfix-report"),
    show_default=True,
    help="Where report.json, report.md and the state file go.",
)
@click.option("--resume", is_flag=True, help="Skip repositories that already ended well.")
@click.option("--shard", metavar="I/N", help="Run only shard I of N (for an Actions matrix).")
@click.option("--quiet", "-q", is_flag=True, help="Print only the final summary.")
@click.option("--json", "as_json", is_flag=True, help="Print progress as JSON lines.")
def command(
    manifest_path: str,
    dry_run: bool,
    concurrency: int | None,
    only: tuple[str, ...],
    report_dir: Path,
    resume: bool,
    shard: str | None,
    quiet: bool,
    as_json: bool,
) -> int:
    """Apply the manifest's fix to every repository and open or update one PR each."""
    manifest = load_manifest(manifest_path)
    jobs = expand(manifest, only=only)
    if shard is not None:
        try:
            index, count = parse_shard(shard)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--shard") from None
        jobs = select_shard(jobs, index, count)
    try:
        with progress_for(len(jobs), quiet=quiet, as_json=as_json) as progress:
            result = run_apply(
                manifest,
                jobs,
                dry_run=dry_run,
                concurrency=concurrency or manifest.concurrency,
                report_dir=report_dir,
                resume=resume,
                progress=progress,
            )
    except ConfigurationError as exc:
        click.echo(f"aodfix: {exc}", err=True)
        return EXIT_USAGE
    if not as_json:
        _print_summary(result)
    return result.exit_code


def _print_summary(result: ApplyResult) -> None:
    report = result.report
    counts = ", ".join(
        f"{n} {STATUS_LABEL[status]}"
        for status, n in ((r, report.totals[r.value]) for r in STATUS_LABEL)
        if n
    )
    out = sys.stdout
    click.echo(
        f"{report.manifest_name}: {len(report.results)} repositories: {counts or 'none'}", file=out
    )
    for r in report.results:
        if r.pull_request is not None:
            url = printable(r.pull_request.url)
            click.echo(f"  {r.repository}: {STATUS_LABEL[r.status]} {url}", file=out)
        elif r.error is not None:
            click.echo(
                f"  {r.repository}: {STATUS_LABEL[r.status]} at {r.error.stage.value}:"
                f" {printable(r.error.message)}",
                file=out,
            )
    if report.interrupted:
        click.echo("interrupted: unfinished repositories are marked failed", file=out)
    click.echo(f"report: {result.paths['json']} {result.paths['md']}", file=out)
