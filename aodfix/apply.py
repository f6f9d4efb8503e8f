"""Run a batch for real: the clients, the preflight checks, signals, the report files.

SIGINT and SIGTERM cancel the batch; the orchestrator then terminates and deletes every
session it still holds (bounded), and the report of what finished is written before the
process exits 130.
"""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from aod import AsyncClient

from aodfix.agent.preflight import check_aod
from aodfix.agent.transport import BoundedTransport
from aodfix.batch import run_batch
from aodfix.exit_codes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from aodfix.forge.github_client import GitHubGateway
from aodfix.forge.preflight import check_github
from aodfix.manifest import Manifest
from aodfix.pipeline.context import BatchOptions, Context
from aodfix.plan import RepoJob
from aodfix.progress import Progress
from aodfix.report.files import write_reports
from aodfix.report.models import Report
from aodfix.selection.model import Selection
from aodfix.settings.services import Settings


@dataclass(frozen=True)
class ApplyResult:
    report: Report
    paths: dict[str, Path]

    @property
    def exit_code(self) -> int:
        if self.report.interrupted:
            return EXIT_INTERRUPTED
        return EXIT_OK if self.report.ok else EXIT_FAILED


def run_apply(
    manifest: Manifest,
    jobs: Sequence[RepoJob],
    settings: Settings,
    *,
    dry_run: bool,
    concurrency: int,
    report_dir: Path,
    resume: bool,
    progress: Progress,
    selection: Selection | None = None,
) -> ApplyResult:
    """Run the batch to its end (or interruption) and write the report files;
    ``selection``: what the manifest's selectors found, recorded in the report."""
    aod = settings.require_aod()
    options = BatchOptions(
        agent_id=aod.agent_id,
        environment_id=manifest.environment,
        dry_run=dry_run,
        concurrency=concurrency,
        timeout=float(manifest.timeout),
        report_dir=report_dir,
        resume=resume,
        run_url=settings.actions.run_url,
    )
    report = asyncio.run(_run(manifest, jobs, options, settings, progress))
    if selection is not None:
        report = dataclasses.replace(report, selection=selection)
    paths = write_reports(report, report_dir, step_summary=settings.actions.step_summary)
    return ApplyResult(report=report, paths=paths)


async def _run(
    manifest: Manifest,
    jobs: Sequence[RepoJob],
    options: BatchOptions,
    settings: Settings,
    progress: Progress,
) -> Report:
    aod = settings.require_aod()
    gateway = GitHubGateway(settings.github)
    main = asyncio.current_task()
    assert main is not None
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, _interrupt, main, gateway)
    try:
        # One connection per streaming session plus room for creates and deletes: httpx's
        # default pool (100) would starve a batch running near that many sessions.
        limits = httpx.Limits(max_connections=options.concurrency * 2 + 20)
        # Every answer bounded in time and size: a hostile AoD fails a repository, not the run.
        transport = BoundedTransport(
            httpx.AsyncHTTPTransport(limits=limits), timeout=aod.request_timeout
        )
        async with AsyncClient(base_url=aod.url, token=aod.token, transport=transport) as client:
            # A refused token or an unreachable API: one line, before any session.
            await check_aod(client, aod.url, aod.agent_id)
            probe = jobs[0].repository if jobs else None
            await asyncio.to_thread(check_github, settings.github, probe)
            context = Context(manifest, options, client, gateway, progress)
            task = asyncio.ensure_future(run_batch(context, jobs))
            try:
                return await asyncio.shield(task)
            except asyncio.CancelledError:
                task.cancel()  # the batch cleans up its sessions and returns what finished
                return await task
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        gateway.close()


def _interrupt(main: asyncio.Task[object], gateway: GitHubGateway) -> None:
    """First signal: cancel the batch. Later ones: ignored, cleanup is already bounded."""
    if main.cancelling():
        return
    print(
        "aodfix: interrupted; deleting sessions and writing the report (at most 30 s)…",
        file=sys.stderr,
        flush=True,
    )
    gateway.close()  # wakes threads waiting out a GitHub rate limit
    main.cancel()
