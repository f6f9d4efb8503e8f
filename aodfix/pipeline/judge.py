"""Stage ``judge``: an independent reviewing session decides whether the change does what
was asked, after its checks passed and before anything is pushed.

One more AoD session per repository, under the same quota gate and registry as the
workers (so together they never pass ``concurrency``, and it is deleted like every other).
A rejection is ``failed`` at judge, or with ``on_reject: draft`` a draft PR labelled
``aodfix:judge-rejected``. Its cost is added to the repository's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aodfix.agent.review import ReviewRun, review_prompt, run_review
from aodfix.agent.session import AgentSession
from aodfix.errors import StageError
from aodfix.pipeline.agent import (
    AOD_FAILURES,
    AgentResult,
    explain_aod_failure,
    session_resource,
)
from aodfix.pipeline.checks import CheckedPatch
from aodfix.pipeline.context import Context
from aodfix.pipeline.resolve import Resolved
from aodfix.report.models import JudgeRecord, Stage

REJECTED_LABEL = "aodfix:judge-rejected"


@dataclass(frozen=True)
class Judged:
    resolved: Resolved  # the job as it goes on: a labelled draft if the judge rejected it
    record: JudgeRecord
    cost_usd: float | None  # the worker's and the judge's together

    def facts(self) -> Mapping[str, Any]:
        return {"judge": self.record, "cost_usd": self.cost_usd}


async def judge_change(
    context: Context, resolved: Resolved, agent: AgentResult, checked: CheckedPatch
) -> Judged:
    """Raises StageError (failed at judge) on a rejection unless ``on_reject`` is draft, on
    no verdict, and on a session that fails."""
    settings = resolved.job.judge
    assert settings is not None, "judge_change runs only for a batch with judge:"
    job = resolved.job
    resource, mount = session_resource(context, resolved)
    prompt = review_prompt(
        repository=job.repository,
        mount_path=mount,
        task=job.prompt,
        instructions=settings.instructions,
        diff=checked.patch.decode("utf-8", "replace"),
        diffstat=checked.diffstat,
    )
    session = AgentSession(context.aod, context.gate, context.registry)
    run = ReviewRun()
    try:
        with context.rollout.running(run):
            await run_review(
                session,
                run,
                agent_id=settings.agent or context.options.agent_id,
                environment_id=context.options.environment_id,
                prompt=prompt,
                resources=[resource],
                timeout=context.options.timeout,
            )
    except StageError as exc:
        facts = _judged(resolved, run, session, agent).facts()
        raise StageError(exc.stage, exc.message, facts=facts) from None
    except AOD_FAILURES as exc:
        message = explain_aod_failure(exc, str(resource["url"]))
        if message is None:
            raise
        facts = _judged(resolved, run, session, agent).facts()
        raise StageError(Stage.JUDGE, message, facts=facts) from None
    finally:
        await session.close()
    judged = _judged(resolved, run, session, agent)
    if run.verdict == "approve":
        return judged
    if settings.on_reject == "draft":
        labels = job.labels if REJECTED_LABEL in job.labels else (*job.labels, REJECTED_LABEL)
        draft = dataclasses.replace(job, draft=True, labels=labels)
        return dataclasses.replace(judged, resolved=dataclasses.replace(resolved, job=draft))
    reason = f": {run.reason}" if run.reason else ""
    raise StageError(Stage.JUDGE, f"the judge rejected the change{reason}", facts=judged.facts())


def _judged(
    resolved: Resolved, run: ReviewRun, session: AgentSession, agent: AgentResult
) -> Judged:
    record = JudgeRecord(
        verdict=run.verdict,
        reason=run.reason,
        session_id=run.session_id or session.id,
        cost_usd=run.cost_usd,
        turns=run.turns,
    )
    costs = [c for c in (agent.cost_usd, run.cost_usd) if c is not None]
    return Judged(resolved, record, round(sum(costs), 6) if costs else None)
