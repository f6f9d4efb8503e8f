"""Stage ``agent``: one AoD session for the repository, driven to its verified patch.

The session's facts (its id, turns, cost, transcript) are handed to ``keep`` before the
session is closed, whatever ends it — a failure or an interruption included — so the
result always names its session. Every AoD and transport failure becomes one
``StageError`` line here.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from aod.errors import AodHTTPError, ValidationError

from aodfix.agent.collect import AgentRun, SessionSpec, collect_patch
from aodfix.agent.session import AgentSession
from aodfix.agent.sse import StreamTooLarge
from aodfix.agent.transport import AnswerRefused, AnswerTimeout
from aodfix.errors import StageError
from aodfix.patch import patch_key
from aodfix.patch.commands import VerifySpec
from aodfix.pipeline.context import Context
from aodfix.pipeline.resolve import Resolved
from aodfix.report.models import Stage, Status, Timings, VerifyRecord
from aodfix.report.transcripts import transcript_name, write_transcript

MOUNT_ROOT = "/workspace"
GITHUB_COM = "https://github.com"


@dataclass(frozen=True)
class AgentResult:
    patch: bytes | None  # None: the session ended without one (failed, interrupted)
    session_id: str | None
    turns: int
    summary: str | None
    cost_usd: float | None
    transcript: str | None  # relative to the report directory
    queued: float  # seconds waiting for an agent slot
    session: float  # seconds from its create request to its deletion: its quota slot's time
    verify: VerifyRecord | None = None  # the checks' results, when the batch verifies

    def facts(self) -> Mapping[str, Any]:
        facts: dict[str, Any] = {
            "session_id": self.session_id,
            "turns": self.turns,
            "summary": self.summary,
            "cost_usd": self.cost_usd,
            "transcript": self.transcript,
            "timings": Timings(queued=round(self.queued, 3), session=round(self.session, 3)),
            "verify": self.verify,
        }
        if self.patch is not None:
            facts["patch"] = self.patch.decode("utf-8", "replace") if self.patch else None
            if not self.patch:
                facts["status"] = Status.NO_CHANGES
        return facts


async def run_agent(
    context: Context, resolved: Resolved, *, since: float, keep: Callable[[AgentResult], None]
) -> AgentResult:
    """The session's patch (empty: nothing to change); raises StageError. ``since``: when
    the repository's turn began, for the time it queued."""
    job, repository = resolved.job, resolved.repository
    options = context.options
    resource, mount = session_resource(context, resolved)
    spec = SessionSpec(
        agent_id=options.agent_id,
        environment_id=options.environment_id,
        prompt=job.prompt,
        resources=[resource],
        mount_path=mount,
        base_sha=repository.base_sha,
        base_branch=None if repository.base_is_default else repository.base,
        key=patch_key(context.manifest.name, job.repository),
        max_patch_bytes=context.manifest.policy.max_patch_bytes,
        verify=VerifySpec(job.verify.commands, job.verify.timeout) if job.verify else None,
        feedback_rounds=job.verify.rounds if job.verify else 0,
    )
    started: float | None = None

    def admit() -> None:
        """With a quota slot in hand, before the create: the session's time starts here
        (a create the server refused with 429 gave its slot back: that was queueing)."""
        nonlocal started
        context.rollout.admit_session()
        started = context.clock()

    session = AgentSession(context.aod, context.gate, context.registry, admit=admit)
    run = AgentRun()

    def on_stage(label: str) -> None:
        context.progress.stage(job.repository, label)

    try:
        with context.rollout.running(run):
            patch = await _collect(session, spec, run, options.timeout, on_stage)
    finally:
        # Kept before the (possibly interrupted) close: the result must name its session.
        session_id = run.session_id or session.id  # also if cancelled mid-create
        transcript = transcript_name(job.repository) if run.outputs else None
        facts = AgentResult(
            patch=None,
            session_id=session_id,
            turns=run.turns,
            summary=run.summary,
            cost_usd=run.cost_usd,
            transcript=transcript,
            queued=(started if started is not None else context.clock()) - since,
            session=0.0,
            verify=None if run.checks is None else VerifyRecord(run.feedback_rounds, run.checks),
        )
        keep(facts)
        try:
            await session.close()
            if started is not None:
                facts = dataclasses.replace(facts, session=context.clock() - started)
                keep(facts)
        finally:
            if run.outputs:  # after the session and its slot: neither waits for the files
                await _write_transcript(context, job.repository, session_id, run)
    return dataclasses.replace(facts, patch=patch)


async def _write_transcript(
    context: Context, repository: str, session_id: str | None, run: AgentRun
) -> None:
    """The transcript and its page, in the transcripts pool. An interrupted batch, whose
    pools are going away, writes the transcript alone, here: the result names it."""
    write = functools.partial(
        write_transcript, context.options.report_dir, repository, session_id, run.outputs
    )
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        write(page=False)
        return
    future = context.pools["transcripts"].submit(write)
    try:
        await asyncio.wrap_future(future)
    except asyncio.CancelledError:
        if future.cancel():  # it had not started, and now never will
            write(page=False)
        raise


async def _collect(
    session: AgentSession,
    spec: SessionSpec,
    run: AgentRun,
    timeout: float,
    on_stage: Callable[[str], None],
) -> bytes:
    """``collect_patch`` with every AoD and transport failure as one StageError line."""
    try:
        return await collect_patch(session, spec, run, timeout=timeout, on_stage=on_stage)
    except AOD_FAILURES as exc:
        message = explain_aod_failure(exc, str(spec.resources[0]["url"]))
        if message is None:
            raise
        raise StageError(Stage.AGENT, message) from None


def session_resource(context: Context, resolved: Resolved) -> tuple[dict[str, Any], str]:
    """The repository as a session resource, and where it is mounted in the sandbox."""
    mount = f"{MOUNT_ROOT}/{resolved.job.repo}"
    resource: dict[str, Any] = {
        "type": "github_repository",
        "url": context.github.settings.web_url(resolved.job.repository),
        "mount_path": mount,
    }
    if resolved.repository.sandbox_token:  # read-only, one repository (see forge.sandbox)
        resource["authorization_token"] = resolved.repository.sandbox_token
    return resource, mount


# What an AoD call can raise that ``explain_aod_failure`` turns into one line.
AOD_FAILURES = (ValueError, AodHTTPError, StreamTooLarge, httpx.HTTPError)


def explain_aod_failure(exc: Exception, url: str) -> str | None:
    """One line for an AoD or transport failure, or None when ``exc`` is neither."""
    if isinstance(exc, ValidationError):
        return _explain_validation(exc, url)
    if isinstance(exc, AodHTTPError):
        return f"AoD answered {exc.status_code}: {exc.detail!r}"
    if isinstance(exc, AnswerTimeout | AnswerRefused | StreamTooLarge):  # already one line
        return str(exc)
    if isinstance(exc, ValueError):  # a reply the SDK cannot parse (not JSON, wrong shape)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return f"AoD sent a reply aodfix cannot read: {type(exc).__name__}: {first}"
    if isinstance(exc, httpx.HTTPError):
        return f"AoD unreachable: {type(exc).__name__}: {exc}"
    return None


def _explain_validation(exc: ValidationError, url: str) -> str:
    detail = exc.detail if isinstance(exc.detail, str) else repr(exc.detail)
    if "github.com" in detail and not url.startswith(GITHUB_COM + "/"):
        return (
            f"AoD refused the repository URL {url}: Agent on Demand only clones"
            " https://github.com repositories, so GitHub Enterprise Server repositories"
            " cannot be a session resource"
        )
    return f"AoD refused the session: {detail}"
