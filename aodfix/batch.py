"""The orchestrator: every repository of the batch through the pipeline, concurrently.

One event loop and one ``aod.AsyncClient`` drive all sessions; the quota gate bounds how
many are active and adapts to the server's 429s. Blocking git and GitHub work runs in the
context's bounded thread pool, so it never holds an agent slot. Each repository ends in
exactly one ``RepoResult`` (``pipeline.repository``), appended to the state file the
moment it is known; one repository's exception never touches another's. This module only
schedules, resumes, cancels and records.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from aodfix.pipeline.context import Context
from aodfix.pipeline.repository import INTERRUPTED, process
from aodfix.pipeline.sweep import CLEANUP_TIMEOUT, sweep_sessions
from aodfix.plan import RepoJob
from aodfix.report.models import ErrorInfo, RepoResult, Report, Stage, Status
from aodfix.state import StateWriter, final_for_resume, read_results, state_path


async def run_batch(context: Context, jobs: Sequence[RepoJob]) -> Report:
    """Run every job; when cancelled, clean up, then return the partial report."""
    options, manifest = context.options, context.manifest
    started = _now()
    path = state_path(options.report_dir, manifest.name)
    previous = read_results(path) if options.resume else {}
    results: dict[str, RepoResult] = {}
    interrupted = False
    with StateWriter(path) as state:
        state.record_manifest(manifest)

        def record(result: RepoResult) -> None:
            results[result.repository] = result
            state.append(result)

        tasks: dict[str, asyncio.Task[RepoResult]] = {}
        for job in jobs:
            done = previous.get(job.repository)
            if done is not None and final_for_resume(done, dry_run=options.dry_run):
                results[job.repository] = done
                continue
            pr_only = done if done is not None and _needs_only_its_pr(done) else None
            run = process(context, job, record=record, pr_only=pr_only)
            tasks[job.repository] = asyncio.create_task(run)
        try:
            for task in tasks.values():
                await asyncio.shield(task)
            await sweep_sessions(context.aod, context.registry)
        except asyncio.CancelledError:
            interrupted = True
            await _cancel(context, tasks, record, results)
        finally:
            context.shutdown()
    return Report(
        manifest_name=manifest.name,
        manifest_path=str(manifest.path),
        dry_run=options.dry_run,
        started_at=started,
        finished_at=_now(),
        results=[results[job.repository] for job in jobs if job.repository in results],
        interrupted=interrupted,
        budget=context.rollout.record(),
    )


async def _cancel(
    context: Context,
    tasks: dict[str, asyncio.Task[RepoResult]],
    record: Callable[[RepoResult], None],
    results: dict[str, RepoResult],
) -> None:
    """Cancel in-flight repositories, wait for their sessions to go, sweep what is left."""
    for task in tasks.values():
        task.cancel()
    await asyncio.wait(tasks.values(), timeout=CLEANUP_TIMEOUT)
    for repository in tasks:
        if repository not in results:  # cancelled before its pipeline could say so
            error = ErrorInfo(Stage.INTERRUPTED, INTERRUPTED)
            record(RepoResult(repository=repository, status=Status.FAILED, error=error))
    await sweep_sessions(context.aod, context.registry)


def _needs_only_its_pr(result: RepoResult) -> bool:
    """A result whose branch was pushed but whose pull request step failed or was deferred
    (GitHub's write budget was spent)."""
    return (
        result.status in (Status.FAILED, Status.DEFERRED)
        and result.error is not None
        and result.error.stage is Stage.PULL_REQUEST
        and result.branch is not None
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
