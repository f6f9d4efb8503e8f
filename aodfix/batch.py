"""The orchestrator: every repository through resolve → agent → verify → publish.

One event loop and one ``aod.AsyncClient`` drive all sessions; the quota gate bounds how
many are active and adapts to the server's 429s. Blocking PyGithub/GitPython work runs in
a separate, bounded thread pool, so git and GitHub never hold an agent slot: a session is
deleted as soon as its patch is in hand. Each repository ends in exactly one
``RepoResult``, appended to the state file the moment it is known; one repository's
exception never touches another's.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

import httpx
from aod import AsyncClient
from aod.errors import AodHTTPError, ValidationError

from aodfix.agent.collect import AgentRun, SessionSpec, collect_patch
from aodfix.agent.orphans import list_sessions, orphans
from aodfix.agent.quota import QuotaGate
from aodfix.agent.session import AgentSession, SessionRegistry, delete_session
from aodfix.agent.sse import StreamTooLarge
from aodfix.agent.transport import AnswerRefused, AnswerTimeout
from aodfix.errors import RepositorySkipped, StageError
from aodfix.forge.app_auth import AppAuthError
from aodfix.forge.git_work import Checkout, GitIdentity, GitRemote
from aodfix.forge.github_client import GitHubGateway
from aodfix.forge.pr_body import render_body, workflow_run_url
from aodfix.forge.pulls import PullRequestRequest, open_or_update
from aodfix.forge.resolve import ResolvedRepository, check_branch_owner, resolve_repository
from aodfix.forge.sandbox import sandbox_credential
from aodfix.manifest import Manifest
from aodfix.patch import Diffstat, PatchFormatError, check_policy, inspect_patch, patch_key
from aodfix.patch.result import ResultTree
from aodfix.patch.secrets import find_secrets
from aodfix.patch.tree_policy import check_tree
from aodfix.plan import RepoJob
from aodfix.progress import Progress, SilentProgress
from aodfix.redact import known_secrets, redact_file, register_secret
from aodfix.report.models import (
    ErrorInfo,
    PullRequestRef,
    RepoResult,
    Report,
    Stage,
    Status,
    Timings,
)
from aodfix.report.transcripts import write_transcript
from aodfix.safe_text import one_line
from aodfix.state import StateWriter, final_for_resume, read_results, state_path

log = logging.getLogger(__name__)
T = TypeVar("T")

CLEANUP_TIMEOUT = 30.0
MOUNT_ROOT = "/workspace"
GITHUB_COM = "https://github.com"


@dataclass(frozen=True)
class BatchOptions:
    agent_id: str
    environment_id: str | None
    dry_run: bool
    concurrency: int
    timeout: float
    report_dir: Path
    resume: bool = False
    forge_workers: int = 8


@dataclass
class BatchRun:
    """Counters a caller (or a test) reads after the run."""

    registry: SessionRegistry = field(default_factory=SessionRegistry)
    orphans_deleted: int = 0


class Batch:
    """One run of one manifest's jobs."""

    def __init__(
        self,
        manifest: Manifest,
        jobs: Sequence[RepoJob],
        options: BatchOptions,
        *,
        aod: AsyncClient,
        github: GitHubGateway,
        progress: Progress | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.manifest = manifest
        self.jobs = list(jobs)
        self.options = options
        self.aod = aod
        self.github = github
        self.progress = progress or SilentProgress()
        self.clock = clock
        self.gate = QuotaGate(options.concurrency)
        self._admission = asyncio.Semaphore(options.concurrency + max(2, options.concurrency // 2))
        self.run = BatchRun()
        self.author = GitIdentity.parse(manifest.commit.author)
        self.run_url = workflow_run_url()
        self._interrupted: dict[str, RepoResult] = {}
        self._executor = ThreadPoolExecutor(
            max_workers=options.forge_workers, thread_name_prefix="aodfix-forge"
        )

    async def execute(self) -> Report:
        """Run every job; on cancellation clean up, then return the partial report."""
        started = _now()
        path = state_path(self.options.report_dir, self.manifest.name)
        previous = read_results(path) if self.options.resume else {}
        results: dict[str, RepoResult] = {}
        interrupted = False
        with StateWriter(path) as state:
            tasks: dict[str, asyncio.Task[RepoResult]] = {}
            for job in self.jobs:
                done = previous.get(job.repository)
                if done is not None and final_for_resume(done, dry_run=self.options.dry_run):
                    results[job.repository] = done
                    continue
                pr_only = done if done is not None and _needs_only_its_pr(done) else None
                tasks[job.repository] = asyncio.create_task(self._settle(job, state, pr_only))
            try:
                for repository, task in tasks.items():
                    results[repository] = await asyncio.shield(task)
                await self._sweep()
            except asyncio.CancelledError:
                interrupted = True
                await self._cancel_all(tasks, results, state)
            finally:
                self._executor.shutdown(wait=False, cancel_futures=True)
        ordered = [results[job.repository] for job in self.jobs if job.repository in results]
        return Report(
            manifest_name=self.manifest.name,
            manifest_path=str(self.manifest.path),
            dry_run=self.options.dry_run,
            started_at=started,
            finished_at=_now(),
            results=ordered,
            interrupted=interrupted,
        )

    async def _cancel_all(
        self,
        tasks: dict[str, asyncio.Task[RepoResult]],
        results: dict[str, RepoResult],
        state: StateWriter,
    ) -> None:
        """Cancel in-flight repositories, wait for their sessions to go, sweep what is left."""
        for task in tasks.values():
            task.cancel()
        await asyncio.wait(tasks.values(), timeout=CLEANUP_TIMEOUT)
        for repository, task in tasks.items():
            if repository in results:
                continue
            if task.done() and not task.cancelled() and task.exception() is None:
                results[repository] = task.result()
            elif repository in self._interrupted:  # recorded by _settle, with its details
                results[repository] = self._interrupted[repository]
            else:
                result = RepoResult(
                    repository=repository,
                    status=Status.FAILED,
                    error=ErrorInfo(Stage.INTERRUPTED, "the batch was interrupted"),
                )
                results[repository] = result
                state.append(result)
        await self._sweep()

    async def _sweep(self) -> None:
        """Delete any session a cancelled repository could not delete itself, and any the
        server made for a create whose answer was lost."""
        registry = self.run.registry
        leftovers = list(registry.open)
        if registry.ambiguous:
            try:
                listed = await asyncio.wait_for(list_sessions(self.aod), CLEANUP_TIMEOUT)
                lost = orphans(listed, registry.known, registry.ambiguous)
            except (AodHTTPError, httpx.HTTPError, TimeoutError, ValueError) as exc:
                log.warning("could not look for sessions whose create answer was lost: %s", exc)
            else:
                registry.known.update(lost)
                leftovers += lost
                self.run.orphans_deleted = len(lost)
        if not leftovers:
            return

        async def one(session_id: str) -> None:
            try:
                await delete_session(self.aod, session_id, terminate_first=True)
                self.run.registry.open.discard(session_id)
            except (AodHTTPError, OSError) as exc:
                log.warning("could not delete session %s: %s", session_id, exc)

        try:
            await asyncio.wait_for(
                asyncio.gather(*(one(s) for s in leftovers), return_exceptions=True),
                CLEANUP_TIMEOUT,
            )
        except TimeoutError:  # cleanup never crashes the batch: the report must be written
            still = ", ".join(sorted(registry.open))
            log.warning("gave up deleting sessions after %g s: %s", CLEANUP_TIMEOUT, still)

    async def _settle(
        self, job: RepoJob, state: StateWriter, pr_only: RepoResult | None = None
    ) -> RepoResult:
        """Run one repository to exactly one result, whatever happens inside."""
        outcome = _Outcome(job.repository, Status.FAILED, started=self.clock())
        try:
            if pr_only is None or not await self._resume_pull_request(job, pr_only, outcome):
                await self._process(job, outcome)
        except asyncio.CancelledError:
            outcome.fail(Stage.INTERRUPTED, "the batch was interrupted")
            result = outcome.result(self.clock())
            state.append(result)
            self._interrupted[job.repository] = result
            raise
        except StageError as exc:
            outcome.fail(exc.stage, exc.message)
            if exc.patch is not None:  # what the reviewer should see of a refused patch
                outcome.patch = exc.patch
        except RepositorySkipped as exc:
            outcome.status = Status.SKIPPED
            outcome.error = ErrorInfo(exc.stage, exc.reason)
        except Exception as exc:  # one repository's bug must not stop the batch
            log.debug("unexpected error in %s", job.repository, exc_info=True)
            outcome.fail(outcome.stage, f"internal error: {type(exc).__name__}: {exc}")
        result = outcome.result(self.clock())
        state.append(result)
        self.progress.finished(result)
        return result

    async def _resolve(
        self, job: RepoJob, outcome: _Outcome, *, check_owner: bool
    ) -> tuple[RepoJob, ResolvedRepository, Literal["absent", "ours"] | None]:
        """The repository's base, the job rendered for it, and (if asked) whether the batch
        branch is absent or aodfix's own; a foreign branch raises RepositorySkipped."""
        self._stage(outcome, Stage.RESOLVE, "resolving")
        resolved = await self._thread(
            resolve_repository,
            self.github,
            job.repository,
            job.base,
            need_push=not self.options.dry_run,
        )
        try:
            job = job.for_base(resolved.base, resolved.default_branch)
        except ValueError as exc:  # BranchRefused, TemplateProblem: one line each
            raise StageError(Stage.RESOLVE, f"{job.repository}: {exc}") from None
        outcome.branch, outcome.base = job.branch, resolved.base
        outcome.base_sha = resolved.base_sha
        token = await self._thread(
            sandbox_credential, self.github, resolved, self.manifest.agent_credentials
        )
        resolved = dataclasses.replace(resolved, sandbox_token=token)
        owner = None
        if check_owner:
            owner = await self._thread(
                check_branch_owner, self.github, resolved, job.branch, self.manifest.name
            )
        return job, resolved, owner

    async def _resume_pull_request(
        self, job: RepoJob, previous: RepoResult, outcome: _Outcome
    ) -> bool:
        """Open the PR of a pushed branch whose PR step failed last time, without a new
        session; False when the branch is gone (the repository then runs in full)."""
        job, resolved, owner = await self._resolve(job, outcome, check_owner=True)
        if owner != "ours" or previous.diffstat is None:
            return False
        outcome.base_sha = previous.base_sha
        outcome.session_id, outcome.turns = previous.session_id, previous.turns
        outcome.summary, outcome.cost_usd = previous.summary, previous.cost_usd
        outcome.diffstat, outcome.transcript = previous.diffstat, previous.transcript
        await self._pull_request(job, resolved, previous.diffstat, outcome, pushed=False)
        return True

    async def _process(self, job: RepoJob, outcome: _Outcome) -> None:
        if job.skip:
            outcome.status = Status.SKIPPED
            outcome.error = ErrorInfo(Stage.RESOLVE, "skip: true in the manifest")
            return
        # Resolve just ahead of the quota: a base sha read hours before its session would be
        # stale, and a slot freed by a finished session never waits for a lookup.
        async with self._admission:
            # No session for a branch aodfix may not push to.
            job, resolved, _ = await self._resolve(
                job, outcome, check_owner=not self.options.dry_run
            )
            patch = await self._agent_stage(job, resolved, outcome)
        if not patch:
            outcome.status = Status.NO_CHANGES
            return
        outcome.patch = patch.decode("utf-8", "replace")
        self._stage(outcome, Stage.POLICY, "verifying")
        try:
            summary = inspect_patch(patch)
        except PatchFormatError as exc:
            raise StageError(Stage.POLICY, f"the patch is not a valid git diff: {exc}") from None
        outcome.diffstat = summary.diffstat
        violations = check_policy(
            summary,
            patch,
            max_files=self.manifest.policy.max_files,
            max_patch_bytes=self.manifest.policy.max_patch_bytes,
            forbidden_paths=self.manifest.policy.forbidden_paths,
            max_file_bytes=self.manifest.policy.max_file_bytes,
        )
        if violations:
            raise StageError(Stage.POLICY, _violations(violations))
        await self._publish(job, resolved, patch, summary.diffstat, outcome)

    def _check_secrets(self, added: bytes, outcome: _Outcome) -> None:
        """Credentials among the lines git would add (binary files read as text); each is
        masked from here on, everywhere (the transcript, already written, is masked again)."""
        findings = find_secrets(added, known_secrets())
        if not findings:
            return
        for finding in findings:
            register_secret(finding.value)
        if outcome.transcript:
            redact_file(self.options.report_dir / outcome.transcript)
        raise StageError(
            Stage.POLICY,
            _violations(
                [
                    f"{f.path}:{f.line}: adds a credential ({f.kind}) (policy.block_secrets)"
                    for f in findings
                ]
            ),
        )

    async def _agent_stage(
        self, job: RepoJob, resolved: ResolvedRepository, outcome: _Outcome
    ) -> bytes:
        self._stage(outcome, Stage.AGENT, "queued")
        session = AgentSession(self.aod, self.gate, self.run.registry)
        mount = f"{MOUNT_ROOT}/{job.repo}"
        resource: dict[str, Any] = {
            "type": "github_repository",
            "url": self.github.settings.web_url(job.repository),
            "mount_path": mount,
        }
        if resolved.sandbox_token:  # read-only, one repository (see forge.sandbox)
            resource["authorization_token"] = resolved.sandbox_token
        spec = SessionSpec(
            agent_id=self.options.agent_id,
            environment_id=self.options.environment_id,
            prompt=job.prompt,
            resources=[resource],
            mount_path=mount,
            base_sha=resolved.base_sha,
            base_branch=None if resolved.base_is_default else resolved.base,
            key=patch_key(self.manifest.name, job.repository),
            max_patch_bytes=self.manifest.policy.max_patch_bytes,
        )
        run = AgentRun()
        session_started: float | None = None

        def on_stage(label: str) -> None:
            nonlocal session_started
            if session_started is None:
                session_started = self.clock()
                outcome.queued = session_started - outcome.started
            self.progress.stage(job.repository, label)

        try:
            return await collect_patch(
                session, spec, run, timeout=self.options.timeout, on_stage=on_stage
            )
        except ValidationError as exc:
            raise StageError(Stage.AGENT, _explain_validation(exc, resource["url"])) from None
        except AodHTTPError as exc:
            raise StageError(
                Stage.AGENT, f"AoD answered {exc.status_code}: {exc.detail!r}"
            ) from None
        except (AnswerTimeout, AnswerRefused, StreamTooLarge) as exc:  # already one line
            raise StageError(Stage.AGENT, str(exc)) from None
        except ValueError as exc:  # a reply the SDK cannot parse (not JSON, wrong shape)
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise StageError(
                Stage.AGENT, f"AoD sent a reply aodfix cannot read: {type(exc).__name__}: {first}"
            ) from None
        except httpx.HTTPError as exc:
            raise StageError(Stage.AGENT, f"AoD unreachable: {type(exc).__name__}: {exc}") from None
        finally:
            # Recorded before the (possibly interrupted) close: the result must name its session.
            outcome.session_id = run.session_id or session.id  # also if cancelled mid-create
            outcome.turns = run.turns
            outcome.summary = run.summary
            outcome.cost_usd = run.cost_usd
            if run.outputs:
                outcome.transcript = write_transcript(
                    self.options.report_dir, job.repository, outcome.session_id, run.outputs
                )
            await session.close()
            if session_started is not None:
                outcome.session = self.clock() - session_started

    async def _publish(
        self,
        job: RepoJob,
        resolved: ResolvedRepository,
        patch: bytes,
        diffstat: Diffstat,
        outcome: _Outcome,
    ) -> None:
        settings = self.github.settings
        owner = resolved.full_name.split("/")[0]
        try:
            token = await self._thread(self.github.token, owner)
        except AppAuthError as exc:
            raise StageError(Stage.PUSH, f"no GitHub App token for {owner}: {exc}") from None
        remote = GitRemote.for_repository(settings.server_url, resolved.full_name, token)
        three_way = not resolved.base_is_default
        self._stage(outcome, Stage.APPLY, "pushing" if not self.options.dry_run else "checking")

        def apply_check_and_push() -> bool | None:
            with Checkout(remote, resolved.base_sha) as checkout:
                checkout.fetch(None if self.options.dry_run else job.branch)
                self._check_tree(checkout.apply(patch, three_way=three_way), outcome)
                if self.manifest.policy.block_secrets:
                    self._check_secrets(checkout.added_text(), outcome)
                if self.options.dry_run:
                    return None
                checkout.commit(
                    message=job.commit_message, author=self.author, batch=self.manifest.name
                )
                return checkout.publish(job.branch, self.manifest.name)

        pushed = await self._thread(apply_check_and_push)
        if pushed is None:
            outcome.status = Status.DRY_RUN
            return
        await self._pull_request(job, resolved, diffstat, outcome, pushed=pushed)

    def _check_tree(self, tree: ResultTree, outcome: _Outcome) -> None:
        """The policy on what git wrote; notes (mode changes, non-ASCII names) are kept."""
        policy = self.manifest.policy
        verdict = check_tree(
            tree,
            forbidden_paths=policy.forbidden_paths,
            allow_submodules=policy.allow_submodules,
            max_file_bytes=policy.max_file_bytes,
        )
        outcome.notes = verdict.notes
        if verdict.violations:
            raise StageError(Stage.POLICY, _violations(verdict.violations))

    async def _pull_request(
        self,
        job: RepoJob,
        resolved: ResolvedRepository,
        diffstat: Diffstat,
        outcome: _Outcome,
        *,
        pushed: bool,
    ) -> None:
        self._stage(outcome, Stage.PULL_REQUEST, "PR")
        body = render_body(
            self.manifest.pull_request.body,
            {
                "repository": job.repository,
                "owner": job.owner,
                "repo": job.repo,
                "base": resolved.base,
                "name": self.manifest.name,
            },
            batch=self.manifest.name,
            summary=outcome.summary,
            diffstat=diffstat,
            session_id=outcome.session_id or "",
            run_url=self.run_url,
            notes=outcome.notes,
        )
        want = PullRequestRequest(
            branch=job.branch,
            base=resolved.base,
            title=job.title,
            body=body,
            draft=job.draft,
            labels=job.labels,
            reviewers=job.reviewers,
            team_reviewers=job.team_reviewers,
            assignees=job.assignees,
        )
        pr = await self._thread(open_or_update, self.github, resolved, want, branch_moved=pushed)
        outcome.pull_request = PullRequestRef(pr.number, pr.url)
        if pr.created:
            outcome.status = Status.PR_OPENED
        elif pushed:
            outcome.status = Status.PR_UPDATED
        else:
            outcome.status = Status.UNCHANGED

    async def _thread(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    def _stage(self, outcome: _Outcome, stage: Stage, label: str) -> None:
        outcome.stage = stage
        self.progress.stage(outcome.repository, label)


@dataclass
class _Outcome(RepoResult):
    """A repository's result while it is being worked out, with the clocks behind it."""

    started: float = 0.0
    stage: Stage = Stage.RESOLVE
    queued: float = 0.0
    session: float = 0.0

    def fail(self, stage: Stage, message: str) -> None:
        self.status = Status.FAILED
        self.error = ErrorInfo(stage, one_line(message))

    def result(self, now: float) -> RepoResult:
        """The final result; the patch is kept where a reviewer needs it (not behind a PR)."""
        values = {f.name: getattr(self, f.name) for f in fields(RepoResult)}
        values["timings"] = Timings(
            queued=round(self.queued, 3),
            session=round(self.session, 3),
            total=round(now - self.started, 3),
        )
        if self.status not in (Status.DRY_RUN, Status.FAILED, Status.SKIPPED):
            values["patch"] = None
        return RepoResult(**values)


def _violations(found: Sequence[str]) -> str:
    more = f" (+{len(found) - 3} more)" if len(found) > 3 else ""
    return "; ".join(found[:3]) + more


def _needs_only_its_pr(result: RepoResult) -> bool:
    """A result whose branch was pushed but whose pull request step failed."""
    return (
        result.status is Status.FAILED
        and result.error is not None
        and result.error.stage is Stage.PULL_REQUEST
        and result.branch is not None
    )


def _explain_validation(exc: ValidationError, url: str) -> str:
    detail = exc.detail if isinstance(exc.detail, str) else repr(exc.detail)
    if "github.com" in detail and not url.startswith(GITHUB_COM + "/"):
        return (
            f"AoD refused the repository URL {url}: Agent on Demand only clones"
            " https://github.com repositories, so GitHub Enterprise Server repositories"
            " cannot be a session resource"
        )
    return f"AoD refused the session: {detail}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
