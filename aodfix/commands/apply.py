"""``aodfix apply MANIFEST``: run the batch — sessions, patches, branches, pull requests."""

from __future__ import annotations

from pathlib import Path

import click

from aodfix.apply import run_apply
from aodfix.commands.jobs import batch_jobs, only_option
from aodfix.commands.summary import print_summary
from aodfix.errors import ConfigurationError
from aodfix.manifest import load_manifest
from aodfix.plan import expand, parse_shard, select_shard
from aodfix.progress import JsonProgress, progress_for
from aodfix.selection.model import selection_path
from aodfix.settings.services import DEFAULT_AOD_URL, Settings
from aodfix.state import changed_since, state_path


@click.command(
    "apply",
    epilog=f"AOD_API_URL defaults to {DEFAULT_AOD_URL} (a local AoD dev server);"
    " AOD_API_TOKEN, AOD_AGENT_ID (or `agent:`) and GITHUB_TOKEN as in the README's"
    " Environment table.",
)
@click.argument("manifest_path", metavar="MANIFEST", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Run sessions and verify patches; push nothing.")
@click.option(
    "--concurrency", type=click.IntRange(1, 1000), help="Sessions at once (default: manifest)."
)
@only_option("Run only these repositories")
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("aodfix-report"),
    show_default=True,
    help="Where report.html, report.json, report.md, the transcripts and the state file go.",
)
@click.option("--resume", is_flag=True, help="Skip repositories that already ended well.")
@click.option(
    "--force",
    is_flag=True,
    help="With --resume: go on although the prompt, policy or PR settings changed.",
)
@click.option("--shard", metavar="I/N", help="Run only shard I of N (for an Actions matrix).")
@click.option("--quiet", "-q", is_flag=True, help="Print only the final summary (not with --json).")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print progress as JSON lines, ending with a summary event (not with --quiet).",
)
def command(
    manifest_path: str,
    dry_run: bool,
    concurrency: int | None,
    only: tuple[str, ...],
    report_dir: Path,
    resume: bool,
    force: bool,
    shard: str | None,
    quiet: bool,
    as_json: bool,
) -> int:
    """Apply the manifest's fix to every repository and open or update one PR each."""
    if quiet and as_json:  # either would silently win: say so before anything runs
        raise click.UsageError("--quiet and --json cannot be used together")
    manifest = load_manifest(manifest_path)
    if resume and not force:
        changed = changed_since(state_path(report_dir, manifest.name), manifest)
        if changed:
            raise ConfigurationError(
                f"{manifest.path}: {', '.join(changed)} changed since the run --resume would"
                " continue; results made from the old one would be kept (--resume --force"
                " to go on anyway, or run without --resume)"
            )
    # Without selectors a wrong --only or template is said before any setting is read.
    jobs = None if manifest.selectors else expand(manifest, only=only)
    parts = None
    if shard is not None:
        try:
            parts = parse_shard(shard)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--shard") from None
    settings = Settings.for_batch(manifest, dry_run=dry_run)
    selection = None
    if jobs is None:
        stored = selection_path(report_dir, manifest.name)
        jobs, selection = batch_jobs(
            manifest, settings.github, only=only, stored=stored, reuse=resume
        )
    if parts is not None:
        jobs = select_shard(jobs, *parts)
    with progress_for(
        len(jobs),
        quiet=quiet,
        as_json=as_json,
        interactive=settings.interactive,
        annotations=settings.actions.annotations,
    ) as progress:
        result = run_apply(
            manifest,
            jobs,
            settings,
            dry_run=dry_run,
            concurrency=concurrency or manifest.concurrency,
            report_dir=report_dir,
            resume=resume,
            progress=progress,
            selection=selection,
            whole_batch=not only and shard is None,  # a partial run cannot tell who left
        )
    if as_json:
        JsonProgress().summary(result.report, result.paths, result.exit_code)
    else:
        print_summary(result.report, result.paths)
    return result.exit_code
