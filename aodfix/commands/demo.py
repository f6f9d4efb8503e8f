"""``aodfix demo``: see aodfix open pull requests, with no token and no network."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import click

from aodfix.apply import run_apply
from aodfix.commands.summary import print_summary
from aodfix.demo.run import demo_manifest, demo_stack, shell_exports
from aodfix.manifest import load_manifest
from aodfix.plan import expand
from aodfix.progress import progress_for
from aodfix.settings.environment import environment
from aodfix.settings.services import Settings

STOP_NOTE = (
    "The emulators stop when the demo exits: the pull request links below stop working"
    " with them. Run `aodfix demo --keep` to keep them running."
)


@click.command("demo")
@click.option(
    "--keep",
    is_flag=True,
    help="Leave the emulators running afterwards (until Ctrl-C), so the PR links keep working.",
)
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("aodfix-demo-report"),
    show_default=True,
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the emulators' repositories and sessions here (default: a temp dir).",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary.")
def command(keep: bool, report_dir: Path, data_dir: Path | None, quiet: bool) -> int:
    """Run a sample batch end to end on local AoD and GitHub emulators."""
    manifest = load_manifest(demo_manifest())
    jobs = expand(manifest)
    with demo_stack(data_dir) as stack:
        click.echo(f"AoD emulator     {stack.aod.url}")
        click.echo(f"GitHub emulator  {stack.github.server_url} (API {stack.github.api_url})")
        click.echo(f"running {manifest.path} on {len(jobs)} sample repositories…\n")
        settings = Settings.for_batch(
            manifest, {**environment(), **stack.environment()}, dry_run=False
        )
        with progress_for(len(jobs), quiet=quiet, interactive=settings.interactive) as progress:
            result = run_apply(
                manifest,
                jobs,
                settings,
                dry_run=False,
                concurrency=manifest.concurrency,
                report_dir=report_dir,
                resume=False,
                progress=progress,
            )
        click.echo("")
        if not keep:  # said before the links, which look as if they would keep working
            click.echo(STOP_NOTE)
        print_summary(result.report, result.paths, totals=False, every=True)
        if keep:
            click.echo("\nThe emulators keep running. To point aodfix at them:\n")
            click.echo(shell_exports(stack.environment()))
            click.echo("Press Ctrl-C to stop.")
            stop = threading.Event()
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: stop.set())
            stop.wait()
        return result.exit_code
