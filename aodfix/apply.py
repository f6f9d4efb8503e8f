"""Run a batch for real: clients from the environment, signals, the report files.

SIGINT and SIGTERM cancel the batch; the orchestrator then terminates and deletes every
session it still holds (bounded), and the report of what finished is written before the
process exits 130.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from aod import AsyncClient

from aodfix.agent.raw_http import raw_http
from aodfix.agent.transport import DEFAULT_AOD_TIMEOUT, BoundedTransport
from aodfix.batch import Batch, BatchOptions, BatchRun
from aodfix.errors import ConfigurationError
from aodfix.exit_codes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from aodfix.forge.github_client import GitHubGateway, GitHubSettings
from aodfix.forge.preflight import check_github
from aodfix.manifest import Manifest
from aodfix.plan import RepoJob
from aodfix.progress import Progress
from aodfix.redact import environment, register_secret
from aodfix.report.files import write_reports
from aodfix.report.models import Report

DEFAULT_AOD_URL = "http://localhost:8777"


@dataclass(frozen=True)
class AodSettings:
    url: str
    token: str
    agent_id: str
    request_timeout: float = DEFAULT_AOD_TIMEOUT  # seconds per AoD request, streams excepted

    def __repr__(self) -> str:
        return (
            f"AodSettings(url={self.url!r}, agent_id={self.agent_id!r},"
            f" request_timeout={self.request_timeout:g})"
        )

    @classmethod
    def from_env(cls, manifest: Manifest, environ: Mapping[str, str] | None = None) -> AodSettings:
        env = environment() if environ is None else environ
        token = env.get("AOD_API_TOKEN", "")
        if not token:
            raise ConfigurationError("AOD_API_TOKEN is not set (the Agent on Demand API token)")
        register_secret(token)
        agent = manifest.agent or env.get("AOD_AGENT_ID", "")
        if not agent:
            raise ConfigurationError(
                f"{manifest.path}: no agent: set `agent:` in the manifest or AOD_AGENT_ID"
            )
        return cls(
            url=env.get("AOD_API_URL") or DEFAULT_AOD_URL,
            token=token,
            agent_id=agent,
            request_timeout=cls._seconds(env, "AODFIX_AOD_TIMEOUT", DEFAULT_AOD_TIMEOUT),
        )

    @staticmethod
    def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
        raw = env.get(name, "").strip()
        if not raw:
            return default
        try:
            seconds = float(raw)
        except ValueError:
            seconds = float("nan")
        if not 0 < seconds < float("inf"):
            raise ConfigurationError(f"{name} must be a number of seconds above 0, got {raw!r}")
        return seconds


@dataclass(frozen=True)
class ApplyResult:
    report: Report
    paths: dict[str, Path]
    run: BatchRun

    @property
    def exit_code(self) -> int:
        if self.report.interrupted:
            return EXIT_INTERRUPTED
        return EXIT_OK if self.report.ok else EXIT_FAILED


def run_apply(
    manifest: Manifest,
    jobs: Sequence[RepoJob],
    *,
    dry_run: bool,
    concurrency: int,
    report_dir: Path,
    resume: bool,
    progress: Progress,
    environ: Mapping[str, str] | None = None,
) -> ApplyResult:
    """Run the batch to its end (or interruption) and write the report files."""
    aod = AodSettings.from_env(manifest, environ)
    github = GitHubSettings.from_env(environment() if environ is None else dict(environ))
    if not github.can_write and not dry_run:
        raise ConfigurationError(
            "GITHUB_TOKEN (or GH_TOKEN) is not set, nor a GitHub App; it is needed to push"
        )
    options = BatchOptions(
        agent_id=aod.agent_id,
        environment_id=manifest.environment,
        dry_run=dry_run,
        concurrency=concurrency,
        timeout=float(manifest.timeout),
        report_dir=report_dir,
        resume=resume,
    )
    report, run = asyncio.run(_run(manifest, jobs, options, aod, github, progress))
    paths = write_reports(report, report_dir)
    return ApplyResult(report=report, paths=paths, run=run)


async def _run(
    manifest: Manifest,
    jobs: Sequence[RepoJob],
    options: BatchOptions,
    aod: AodSettings,
    github: GitHubSettings,
    progress: Progress,
) -> tuple[Report, BatchRun]:
    gateway = GitHubGateway(github)
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
            await _preflight(client, aod)
            # A refused token or an unreachable API: one line, before any session.
            probe = jobs[0].repository if jobs else None
            await asyncio.to_thread(check_github, github, probe)
            batch = Batch(manifest, jobs, options, aod=client, github=gateway, progress=progress)
            task = asyncio.ensure_future(batch.execute())
            try:
                report = await asyncio.shield(task)
            except asyncio.CancelledError:
                task.cancel()  # the batch cleans up its sessions and returns what finished
                report = await task
            return report, batch.run
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        gateway.close()


async def _preflight(client: AsyncClient, aod: AodSettings) -> None:
    """Fail the whole run early, exit 2, when AoD is unreachable, the token is refused or the
    agent does not exist: otherwise every repository would fail alike, one by one."""
    http = raw_http(client)
    try:
        response = await http.get(f"/agents/{aod.agent_id.lower()}")
    except httpx.HTTPError as exc:
        raise ConfigurationError(
            f"cannot reach Agent on Demand at {aod.url}: {type(exc).__name__}: {exc}"
        ) from None
    if response.status_code in (401, 403):
        raise ConfigurationError(f"Agent on Demand at {aod.url} refused AOD_API_TOKEN")
    if response.status_code == 404:
        raise ConfigurationError(
            f"agent {aod.agent_id} not found at {aod.url} (check `agent:` or AOD_AGENT_ID)"
        )
    if response.status_code >= 400:
        raise ConfigurationError(
            f"Agent on Demand at {aod.url} answered {response.status_code} to GET /agents/…"
        )


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
