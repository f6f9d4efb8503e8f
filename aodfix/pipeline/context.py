"""What every stage of a batch shares: the manifest, the options and the clients."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from aod import AsyncClient

from aodfix.agent.quota import QuotaGate
from aodfix.agent.session import SessionRegistry
from aodfix.forge.git_work import GitIdentity
from aodfix.forge.github_client import GitHubGateway
from aodfix.manifest import Manifest
from aodfix.pipeline.rollout import Rollout
from aodfix.progress import Progress, SilentProgress

T = TypeVar("T")

PR_WORKERS = 4


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
    run_url: str = ""  # the Actions run, linked from PR bodies


@dataclass
class Context:
    """The batch's shared collaborators; stages read them, only the quota gate, the
    session registry and the rollout's counters change (each guards itself)."""

    manifest: Manifest
    options: BatchOptions
    aod: AsyncClient
    github: GitHubGateway
    progress: Progress = field(default_factory=SilentProgress)
    clock: Callable[[], float] = time.monotonic
    gate: QuotaGate = field(init=False)
    registry: SessionRegistry = field(default_factory=SessionRegistry, init=False)
    admission: asyncio.Semaphore = field(init=False)
    author: GitIdentity = field(init=False)
    executor: ThreadPoolExecutor = field(init=False)
    pr_executor: ThreadPoolExecutor = field(init=False)
    rollout: Rollout = field(init=False)

    def __post_init__(self) -> None:
        concurrency = self.options.concurrency
        self.gate = QuotaGate(concurrency)
        # Repositories resolved ahead of a free slot, so a slot never waits for a lookup.
        self.admission = asyncio.Semaphore(concurrency + max(2, concurrency // 2))
        self.author = GitIdentity.parse(self.manifest.commit.author)
        self.rollout = Rollout(self.manifest.rollout, dry_run=self.options.dry_run)
        self.executor = ThreadPoolExecutor(
            max_workers=self.options.forge_workers, thread_name_prefix="aodfix-forge"
        )
        # PR stages wait for GitHub's write budget (minutes, when it is spent): in a pool
        # of their own, so the waiting never holds up another repository's git work.
        self.pr_executor = ThreadPoolExecutor(
            max_workers=PR_WORKERS, thread_name_prefix="aodfix-pulls"
        )

    async def thread(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Blocking git or GitHub work, off the event loop and off the agent slots."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(fn, *args, **kwargs))

    async def pr_thread(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A PR stage (it writes to GitHub, paced), in the PR stages' own pool."""
        loop = asyncio.get_running_loop()
        call = functools.partial(fn, *args, **kwargs)
        return await loop.run_in_executor(self.pr_executor, call)

    def shutdown(self) -> None:
        """Stop both pools; work not started is dropped (the batch is over)."""
        for pool in (self.executor, self.pr_executor):
            pool.shutdown(wait=False, cancel_futures=True)
