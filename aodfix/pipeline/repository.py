"""One repository through every stage, to exactly one result, whatever happens inside.

The stages, in order, are the lines of ``_stages``; a new stage is one module and one line
there. A repository whose branch was pushed but whose PR failed last time (``--resume``)
only gets its PR, from the recorded result, without a new session.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aodfix.errors import RepositoryDeferred, RepositorySkipped, StageError
from aodfix.pipeline.access import look_up
from aodfix.pipeline.agent import AgentResult, run_agent
from aodfix.pipeline.checks import check_patch
from aodfix.pipeline.context import Context
from aodfix.pipeline.judge import judge_change
from aodfix.pipeline.obsolete import close_obsolete_pull
from aodfix.pipeline.publish import Published, publish
from aodfix.pipeline.pull_request import open_pull_request
from aodfix.pipeline.resolve import Resolved
from aodfix.pipeline.trail import Trail
from aodfix.pipeline.verify import check_verification
from aodfix.plan import RepoJob
from aodfix.report.models import RepoResult, Stage

log = logging.getLogger(__name__)

INTERRUPTED = "the batch was interrupted"


async def process(
    context: Context,
    job: RepoJob,
    *,
    record: Callable[[RepoResult], None],
    pr_only: RepoResult | None = None,
) -> RepoResult:
    """The repository's result, also handed to ``record`` the moment it is known — on
    cancellation too (failed, interrupted), before the cancellation goes on."""
    trail = Trail(job.repository, started=context.clock())
    failure: BaseException | None = None
    try:
        if pr_only is None or not await _resume_pull_request(context, job, pr_only, trail):
            await _stages(context, job, trail)
    except asyncio.CancelledError:
        record(trail.result(context.clock(), StageError(Stage.INTERRUPTED, INTERRUPTED)))
        raise
    except (StageError, RepositorySkipped, RepositoryDeferred) as exc:
        failure = exc
    except Exception as exc:  # one repository's bug must not stop the batch
        log.debug("unexpected error in %s", job.repository, exc_info=True)
        failure = exc
    result = trail.result(context.clock(), failure)

    record(result)
    context.progress.finished(result)
    return result


async def _stages(context: Context, job: RepoJob, trail: Trail) -> None:
    if job.skip:
        raise RepositorySkipped(Stage.RESOLVE, "skip: true in the manifest")
    # Admitted from the lookup to the push. The lookup runs just ahead of the quota (a base
    # sha read hours before its session would be stale; a slot freed by a finished session
    # never waits for one), and a batch whose git work falls behind its sessions (thousands
    # of short ones on a small machine) starts no new ones until it catches up, instead of
    # holding every finished repository's change in memory. A PR waiting for GitHub's
    # write budget holds nothing back.
    pushed: Published | None = None
    async with context.admission:
        resolved, agent = await _session(context, job, trail)
        if agent.patch:
            resolved, pushed = await _checked_and_pushed(context, resolved, agent, trail)
    if not agent.patch:
        if resolved.branch_owner == "ours" and context.manifest.pull_request.close_obsolete:
            closing = context.thread(close_obsolete_pull, context, resolved, pool="pulls")
            await trail.run(Stage.PULL_REQUEST, closing)
        return
    if pushed is None or pushed.pushed is None:
        return
    context.progress.stage(job.repository, "PR")
    opened = context.thread(
        open_pull_request, context, resolved, trail.draft(), pushed=pushed.pushed, pool="pulls"
    )
    await trail.run(Stage.PULL_REQUEST, opened)


async def _session(context: Context, job: RepoJob, trail: Trail) -> tuple[Resolved, AgentResult]:
    show = context.progress.stage
    show(job.repository, "resolving")
    check_owner = not context.options.dry_run
    lookup = context.thread(
        look_up, context, job, check_owner=check_owner, keep=trail.keep, pool="lookups"
    )
    resolved = await trail.run(Stage.RESOLVE, lookup)
    if resolved.branch_owner == "absent":  # this run would open a new PR
        context.rollout.reserve_new_pull_request()
    show(job.repository, "queued")
    session = run_agent(context, resolved, since=trail.started, keep=trail.keep)
    return resolved, await trail.run(Stage.AGENT, session)


async def _checked_and_pushed(
    context: Context, resolved: Resolved, agent: AgentResult, trail: Trail
) -> tuple[Resolved, Published]:
    """Verify, policy, judge and apply (a dry run stops after the checks)."""
    show, repository = context.progress.stage, resolved.job.repository
    show(repository, "verifying")
    verdict = context.thread(check_verification, context, resolved, agent)
    resolved = (await trail.run(Stage.VERIFY, verdict)).resolved
    checked = await trail.run(Stage.POLICY, context.thread(check_patch, context, agent))
    if resolved.job.judge is not None:
        show(repository, "judging")
        judged = judge_change(context, resolved, agent, checked)
        resolved = (await trail.run(Stage.JUDGE, judged)).resolved
    show(repository, "checking" if context.options.dry_run else "pushing")
    published = context.thread(publish, context, resolved, checked, agent)
    return resolved, await trail.run(Stage.APPLY, published)


async def _resume_pull_request(
    context: Context, job: RepoJob, previous: RepoResult, trail: Trail
) -> bool:
    """Open the PR of a pushed branch whose PR step failed last time, without a new
    session; False when the branch is gone (the repository then runs in full)."""
    context.progress.stage(job.repository, "resolving")
    lookup = context.thread(
        look_up, context, job, check_owner=True, keep=trail.keep, pool="lookups"
    )
    resolved = await trail.run(Stage.RESOLVE, lookup)
    if resolved.branch_owner != "ours" or previous.diffstat is None:
        return False
    trail.keep(_Recorded(previous))
    context.progress.stage(job.repository, "PR")
    opened = context.thread(
        open_pull_request, context, resolved, trail.draft(), pushed=False, pool="pulls"
    )
    await trail.run(Stage.PULL_REQUEST, opened)
    return True


@dataclass(frozen=True)
class _Recorded:
    """What the recorded result knew of the session and its patch."""

    previous: RepoResult

    def facts(self) -> Mapping[str, Any]:
        p = self.previous
        return {
            "base_sha": p.base_sha,
            "session_id": p.session_id,
            "turns": p.turns,
            "summary": p.summary,
            "cost_usd": p.cost_usd,
            "diffstat": p.diffstat,
            "transcript": p.transcript,
        }
