"""Where a batch's pull requests stand: state, checks and reviews, per repository.

PRs are found by the batch branch (the head the batch pushes to) and confirmed by the
hidden batch marker in their body. Reads only; runs a few repositories at a time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass

import requests
from github import GithubException
from github.PullRequest import PullRequest
from github.Repository import Repository

from aodfix.forge.app_auth import AppAuthError
from aodfix.forge.github_client import GitHubGateway, GitHubRateLimited, github_reason
from aodfix.forge.pr_body import batch_marker
from aodfix.plan import RepoJob
from aodfix.safe_text import one_line


@dataclass(frozen=True)
class PullStatus:
    repository: str
    branch: str
    state: str  # open | draft | merged | closed | none | error
    number: int | None = None
    url: str | None = None
    checks: str = ""  # e.g. "3 success, 1 failure" or "none"
    review: str = ""  # approved | changes requested | review required | none
    error: str | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def batch_status(
    gateway: GitHubGateway, batch: str, jobs: Sequence[RepoJob], workers: int = 8
) -> list[PullStatus]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda job: _one(gateway, batch, job), jobs))


def _one(gateway: GitHubGateway, batch: str, job: RepoJob) -> PullStatus:
    try:
        repo = gateway.read(lambda: gateway.client(job.owner).get_repo(job.repository))
        try:  # a branch template may use {{ base }}: render it for the real base
            job = job.for_base(job.base or repo.default_branch, repo.default_branch)
        except ValueError as exc:
            return PullStatus(job.repository, job.branch, "error", error=one_line(str(exc)))
        pull = gateway.read(
            lambda: _find(repo.get_pulls(state="all", head=f"{job.owner}:{job.branch}"), batch)
        )
        if pull is None:
            return PullStatus(job.repository, job.branch, "none")
        return PullStatus(
            job.repository,
            job.branch,
            _state(pull),
            number=pull.number,
            url=pull.html_url,
            checks=gateway.read(lambda: _checks(repo, pull.head.sha)),
            review=gateway.read(lambda: _review(pull)),
        )
    except GithubException as exc:
        reason = one_line(github_reason(exc))
        return PullStatus(job.repository, job.branch, "error", error=reason)
    except (GitHubRateLimited, AppAuthError) as exc:
        return PullStatus(job.repository, job.branch, "error", error=one_line(str(exc)))
    except requests.RequestException as exc:
        reason = f"cannot reach GitHub ({type(exc).__name__})"
        return PullStatus(job.repository, job.branch, "error", error=reason)


def _find(pulls: Iterable[PullRequest], batch: str) -> PullRequest | None:
    """The newest PR of the batch branch that carries this batch's marker."""
    marker = batch_marker(batch)
    candidates = [p for p in pulls if marker in (p.body or "")]
    return max(candidates, key=lambda p: p.number, default=None)


def _state(pull: PullRequest) -> str:
    if pull.merged:
        return "merged"
    if pull.state == "closed":
        return "closed"
    return "draft" if pull.draft else "open"


def _checks(repo: Repository, sha: str) -> str:
    commit = repo.get_commit(sha)
    counts: Counter[str] = Counter(s.state for s in commit.get_combined_status().statuses)
    for run in commit.get_check_runs():
        counts[run.conclusion or run.status] += 1
    return ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "none"


def _review(pull: PullRequest) -> str:
    latest: dict[str, str] = {}
    for review in pull.get_reviews():
        if review.state in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
            latest[review.user.login if review.user else "?"] = review.state
    states = set(latest.values())
    if "CHANGES_REQUESTED" in states:
        return "changes requested"
    if "APPROVED" in states:
        return "approved"
    requested, teams = pull.get_review_requests()
    if requested.totalCount or teams.totalCount:
        return "review required"
    return "none"
