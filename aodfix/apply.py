"""Run a batch for real: the clients, the preflight checks, signals, the report files.

SIGINT and SIGTERM cancel the batch; the orchestrator then terminates and deletes every
session it still holds (bounded), and the report of what finished is written before the
process exits 130.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import requests
from aod import AsyncClient
from github import GithubException

from aodfix.agent.http11 import LeanTransport
from aodfix.agent.preflight import check_aod
from aodfix.agent.transport import BoundedTransport
from aodfix.batch import run_batch
from aodfix.campaign.find import find_batch_pulls
from aodfix.campaign.obsolete import close_dropped
from aodfix.exit_codes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from aodfix.forge.github_client import GitHubGateway, GitHubRateLimited
from aodfix.forge.preflight import check_github
from aodfix.manifest import Manifest
from aodfix.pipeline.context import BatchOptions, Context
from aodfix.plan import RepoJob
from aodfix.progress import Progress
from aodfix.report.files import write_reports
from aodfix.report.history import as_run_report, merged_with_previous, run_folder, with_run
from aodfix.report.models import RepoResult, Report
from aodfix.selection.model import Selection
from aodfix.settings.services import Settings

log = logging.getLogger(__name__)


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
    whole_batch: bool = False,
) -> ApplyResult:
    """Run the batch to its end (or interruption) and write the report files;
    ``selection``: what the manifest's selectors found, recorded in the report;
    ``whole_batch``: every repository ran (no ``--only``/``--shard``), so PRs of
    repositories that left the batch can be told apart and closed."""
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
    close_dropped = whole_batch and not dry_run and manifest.pull_request.close_obsolete
    report = asyncio.run(_run(manifest, jobs, options, settings, progress, close_dropped))
    if selection is not None:
        report = dataclasses.replace(report, selection=selection)
    report = with_run(report)
    write_reports(as_run_report(report), run_folder(report_dir, report))  # this run's own
    merged = merged_with_previous(report, report_dir)  # the whole batch, newest wins
    paths = write_reports(merged, report_dir, step_summary=settings.actions.step_summary)
    return ApplyResult(report=report, paths=paths)


async def _run(
    manifest: Manifest,
    jobs: Sequence[RepoJob],
    options: BatchOptions,
    settings: Settings,
    progress: Progress,
    close_dropped: bool,
) -> Report:
    aod = settings.require_aod()
    gateway = GitHubGateway(settings.github)
    main = asyncio.current_task()
    assert main is not None
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, _interrupt, main, gateway)
    try:
        # Every answer bounded in time and size: a hostile AoD fails a repository, not the
        # run. No connection limit: the quota gate bounds the sessions, and each holds one.
        transport = BoundedTransport(LeanTransport(), timeout=aod.request_timeout)
        async with AsyncClient(base_url=aod.url, token=aod.token, transport=transport) as client:
            # A refused token or an unreachable API: one line, before any session.
            await check_aod(client, aod.url, aod.agent_id)
            probe = jobs[0].repository if jobs else None
            await asyncio.to_thread(check_github, settings.github, probe)
            context = Context(manifest, options, client, gateway, progress)
            if context.rollout.max_open is not None:  # what is open already counts
                open_now = await asyncio.to_thread(find_batch_pulls, gateway, manifest.name, jobs)
                context.rollout.open_before = sum(
                    1 for p in open_now.values() if p.state == "open" and not p.merged
                )
            task = asyncio.ensure_future(run_batch(context, jobs))
            try:
                report = await asyncio.shield(task)
            except asyncio.CancelledError:
                task.cancel()  # the batch cleans up its sessions and returns what finished
                return await task
            if close_dropped and not report.interrupted:
                closed = await asyncio.to_thread(_close_dropped, gateway, manifest.name, jobs)
                report = dataclasses.replace(report, results=[*report.results, *closed])
            return report
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        gateway.close()


def _close_dropped(gateway: GitHubGateway, batch: str, jobs: Sequence[RepoJob]) -> list[RepoResult]:
    """The PRs of repositories that left the batch, closed; GitHub trouble is one warning."""
    try:
        return close_dropped(gateway, batch, jobs)
    except (GithubException, GitHubRateLimited, ValueError, requests.RequestException) as exc:
        log.warning("could not look for PRs of repositories that left the batch: %s", exc)
        return []


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
