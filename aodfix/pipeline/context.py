"""What every stage of a batch shares: the manifest, the options and the clients."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from aod import AsyncClient

from aodfix.agent.quota import QuotaGate
from aodfix.agent.session import SessionRegistry
from aodfix.forge.git_work import GitIdentity
from aodfix.forge.github_client import GitHubGateway
from aodfix.forge.smart_http import SmartHttp
from aodfix.manifest import Manifest
from aodfix.pipeline.rollout import Rollout
from aodfix.progress import Progress, SilentProgress

T = TypeVar("T")

Pool = Literal["lookups", "transcripts", "git", "pulls"]
# GitHub answers a lookup (a REST read and ls-refs) in 0.1-0.3 s: with 4 threads the first
# 500 sessions of a batch would start over half a minute. 16 stay far below GitHub's 100
# concurrent requests.
LOOKUP_WORKERS = 16
TRANSCRIPT_WORKERS = 2
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
    pools: dict[Pool, ThreadPoolExecutor] = field(init=False)
    git_http: SmartHttp = field(default_factory=SmartHttp, init=False)
    rollout: Rollout = field(init=False)

    def __post_init__(self) -> None:
        concurrency = self.options.concurrency
        self.gate = QuotaGate(concurrency)
        # Repositories from their lookup to their push (pipeline.repository): a whole wave
        # of sessions ahead of a free slot, so a slot never waits for a lookup even when
        # every session ends at once (a base sha is read at most one session's time before
        # its session starts), and as many again checking and pushing.
        self.admission = asyncio.Semaphore(2 * concurrency + 2)
        self.author = GitIdentity.parse(self.manifest.commit.author)
        self.rollout = Rollout(self.manifest.rollout, dry_run=self.options.dry_run)
        # Four pools, so no kind of blocking work queues behind another: the GitHub reads
        # that admit a repository to its session (a free agent slot waits for them), each
        # session's transcript (its admission waits for it; at thousands of repositories the
        # git pool runs minutes behind the sessions, and the outputs would wait in memory),
        # git work after a session, and PR stages, which wait for GitHub's write budget
        # (minutes, when it is spent).
        sizes: dict[Pool, int] = {
            "lookups": LOOKUP_WORKERS,
            "transcripts": TRANSCRIPT_WORKERS,
            "git": self.options.forge_workers,
            "pulls": PR_WORKERS,
        }
        self.pools = {
            name: ThreadPoolExecutor(max_workers=size, thread_name_prefix=f"aodfix-{name}")
            for name, size in sizes.items()
        }

    async def thread(
        self, fn: Callable[..., T], *args: Any, pool: Pool = "git", **kwargs: Any
    ) -> T:
        """Blocking git or GitHub work in ``pool``, off the event loop and the agent slots."""
        loop = asyncio.get_running_loop()
        call = functools.partial(fn, *args, **kwargs)
        return await loop.run_in_executor(self.pools[pool], call)

    def shutdown(self) -> None:
        """Stop the pools; work not started is dropped (the batch is over)."""
        for executor in self.pools.values():
            executor.shutdown(wait=False, cancel_futures=True)
        self.git_http.close()
