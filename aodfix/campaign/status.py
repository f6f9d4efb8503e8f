"""``aodfix status``: each repository's PR of the batch, from one search and a few reads.

The PRs come from ``find`` (O(PRs/100) searches); only open ones are read further
(``pull_state``), a few at a time. A repository without a PR of this batch is ``none``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

import requests
from github import GithubException

from aodfix.campaign.find import FoundPull, find_pulls
from aodfix.campaign.lifecycle import mark_ready
from aodfix.campaign.pull_state import read_pull_state
from aodfix.forge.app_auth import AppAuthError
from aodfix.forge.github_client import GitHubGateway, GitHubRateLimited, readable_reason
from aodfix.plan import RepoJob
from aodfix.safe_text import one_line


@dataclass(frozen=True)
class PullStatus:
    repository: str
    branch: str
    state: str  # open | draft | conflicting | merged | closed | none | error
    number: int | None = None
    url: str | None = None
    checks: str = ""  # e.g. "3 success, 1 failure" or "none"
    review: str = ""  # approved | changes requested | review required | none
    error: str | None = None
    checks_state: str = ""  # passed | failing | pending | none
    mergeable_state: str = ""  # GitHub's: clean, blocked, dirty, unstable, draft, …
    created_at: str | None = None
    updated_at: str | None = None
    merged_at: str | None = None
    closed_at: str | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def campaign_status(
    gateway: GitHubGateway,
    batch: str,
    jobs: Sequence[RepoJob],
    *,
    ready_when_checks_pass: bool = False,
    workers: int = 8,
) -> list[PullStatus]:
    """One row per job, in job order; raises ValueError when the search cannot be read.
    With ``ready_when_checks_pass`` a draft whose checks passed is marked ready."""
    found = find_pulls(gateway, batch, jobs)

    def row(job: RepoJob) -> PullStatus:
        return _row(gateway, job, found.get(job.repository.lower()), ready_when_checks_pass)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(row, jobs))


def _row(
    gateway: GitHubGateway, job: RepoJob, pull: FoundPull | None, ready_when_checks_pass: bool
) -> PullStatus:
    if pull is None:
        return PullStatus(job.repository, job.branch, "none")
    row = functools.partial(
        PullStatus,
        job.repository,
        job.branch,
        number=pull.number,
        url=pull.url,
        created_at=pull.created_at,
        updated_at=pull.updated_at,
        merged_at=pull.merged_at,
        closed_at=pull.closed_at,
    )
    if pull.merged or pull.state == "closed":
        return row("merged" if pull.merged else "closed")
    try:
        client = gateway.client(job.owner)
        seen = read_pull_state(gateway, client, pull.repository, pull.number)
        if ready_when_checks_pass and seen.draft and seen.checks == "passed":
            mark_ready(gateway, client, seen)
            pull = dataclasses.replace(pull, draft=False)
    except GithubException as exc:
        return row("error", error=one_line(readable_reason(exc)))
    except (GitHubRateLimited, AppAuthError) as exc:
        return row("error", error=one_line(str(exc)))
    except requests.RequestException as exc:
        return row("error", error=f"cannot reach GitHub ({type(exc).__name__})")
    return row(
        "conflicting" if seen.conflicting else ("draft" if pull.draft else "open"),
        checks=seen.check_counts,
        review=seen.review,
        checks_state=seen.checks,
        mergeable_state=seen.mergeable_state,
    )
