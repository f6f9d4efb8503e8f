"""Carrying the batch's PRs to their end: merge the ready ones, close the rest.

Both find the PRs as ``status`` does; every write (merge, comment, close, branch delete)
goes through the gateway's one throttle. A PR not merged says why; one failure never stops
the others.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import requests
from github import Github, GithubException

from aodfix.campaign.find import FoundPull, find_pulls
from aodfix.campaign.pull_state import PullState, read_pull_state
from aodfix.forge.app_auth import AppAuthError
from aodfix.forge.github_client import GitHubGateway, GitHubRateLimited, github_reason
from aodfix.plan import RepoJob
from aodfix.safe_text import one_line

Outcome = Literal["merged", "would merge", "not merged", "closed", "would close", "failed"]


@dataclass(frozen=True)
class PullOutcome:
    repository: str
    number: int
    url: str
    outcome: Outcome
    reason: str = ""

    @property
    def failed(self) -> bool:
        return self.outcome == "failed"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def merge_pulls(
    gateway: GitHubGateway,
    batch: str,
    jobs: Sequence[RepoJob],
    *,
    method: str = "merge",
    require_approval: bool = False,
    keep_branch: bool = False,
    dry_run: bool = False,
    ready_when_checks_pass: bool = False,
) -> list[PullOutcome]:
    """Merge the batch's open, non-draft PRs whose checks passed and that GitHub reports
    mergeable (and approved, with ``require_approval``); with ``ready_when_checks_pass`` a
    draft whose checks passed is marked ready first."""

    def one(job: RepoJob, pull: FoundPull, client: Github) -> PullOutcome:
        seen = read_pull_state(gateway, client, pull.repository, pull.number)
        if ready_when_checks_pass and seen.draft and seen.checks == "passed" and not dry_run:
            mark_ready(gateway, client, seen)
            pull = dataclasses.replace(pull, draft=False)
            seen = read_pull_state(gateway, client, pull.repository, pull.number)
        reason = _not_ready(pull, seen, require_approval)
        if reason:
            return _outcome(pull, "not merged", reason)
        if dry_run:
            return _outcome(pull, "would merge")
        path = f"/repos/{pull.repository}/pulls/{pull.number}/merge"
        body = {"merge_method": method, "sha": seen.head_sha}
        try:
            gateway.write(lambda: client.requester.requestJsonAndCheck("PUT", path, input=body))
        except GithubException as exc:
            if exc.status in (405, 409, 422):  # protection, a moved head, a conflict
                return _outcome(pull, "failed", f"GitHub refused the merge: {github_reason(exc)}")
            raise
        if not keep_branch:
            delete_branch(gateway, client, pull.repository, job.branch)
        return _outcome(pull, "merged")

    return _each_open(gateway, batch, jobs, one)


def close_pulls(
    gateway: GitHubGateway,
    batch: str,
    jobs: Sequence[RepoJob],
    *,
    comment: str,
    keep_branch: bool = False,
    dry_run: bool = False,
) -> list[PullOutcome]:
    """Close the batch's open PRs with ``comment`` and delete their branches."""

    def one(job: RepoJob, pull: FoundPull, client: Github) -> PullOutcome:
        if dry_run:
            return _outcome(pull, "would close")
        close_pull(gateway, client, pull.repository, pull.number, comment)
        if not keep_branch:
            delete_branch(gateway, client, pull.repository, job.branch)
        return _outcome(pull, "closed")

    return _each_open(gateway, batch, jobs, one)


def close_pull(
    gateway: GitHubGateway, client: Github, repository: str, number: int, comment: str
) -> None:
    """Comment on the PR (why it is closed), then close it: two writes."""
    requester = client.requester
    comments = f"/repos/{repository}/issues/{number}/comments"
    gateway.write(lambda: requester.requestJsonAndCheck("POST", comments, input={"body": comment}))
    pull = f"/repos/{repository}/pulls/{number}"
    gateway.write(lambda: requester.requestJsonAndCheck("PATCH", pull, input={"state": "closed"}))


def mark_ready(gateway: GitHubGateway, client: Github, seen: PullState) -> None:
    """Draft → ready for review (GitHub offers it only as a GraphQL mutation)."""
    gateway.write(
        lambda: client.requester.graphql_named_mutation(
            mutation_name="markPullRequestReadyForReview",
            mutation_input={"pullRequestId": seen.node_id},
            output_schema="clientMutationId pullRequest { isDraft }",
        )
    )


def delete_branch(gateway: GitHubGateway, client: Github, repository: str, branch: str) -> None:
    ref = f"/repos/{repository}/git/refs/heads/{branch}"
    try:
        gateway.write(lambda: client.requester.requestJsonAndCheck("DELETE", ref))
    except GithubException as exc:
        if exc.status not in (404, 422):  # already gone is fine
            raise


def _not_ready(pull: FoundPull, seen: PullState, require_approval: bool) -> str:
    """Why the PR may not be merged now, or ""."""
    if pull.draft or seen.mergeable_state == "draft":
        return "draft"
    if seen.checks == "failing":
        return f"checks failing ({seen.check_counts})"
    if seen.checks == "pending":
        return f"checks pending ({seen.check_counts})"
    if seen.mergeable_state == "dirty":
        return "conflicts with its base"
    if require_approval and seen.review == "changes requested":
        return "changes requested"
    if require_approval and seen.approvals == 0:
        return "not approved"
    if seen.mergeable is None:
        return "GitHub has not worked out yet whether it can be merged; run merge again"
    if not seen.mergeable or seen.mergeable_state == "blocked":
        return f"GitHub reports it cannot be merged ({seen.mergeable_state})"
    return ""


def _each_open(
    gateway: GitHubGateway,
    batch: str,
    jobs: Sequence[RepoJob],
    act: Callable[[RepoJob, FoundPull, Github], PullOutcome],
) -> list[PullOutcome]:
    found = find_pulls(gateway, batch, jobs)
    outcomes = []
    for job in jobs:
        pull = found.get(job.repository.lower())
        if pull is None or pull.merged or pull.state != "open":
            continue
        try:
            outcomes.append(act(job, pull, gateway.client(job.owner)))
        except GithubException as exc:
            outcomes.append(_outcome(pull, "failed", one_line(github_reason(exc))))
        except (GitHubRateLimited, AppAuthError) as exc:
            outcomes.append(_outcome(pull, "failed", one_line(str(exc))))
        except requests.RequestException as exc:
            outcomes.append(_outcome(pull, "failed", f"cannot reach GitHub ({type(exc).__name__})"))
    return outcomes


def _outcome(pull: FoundPull, outcome: Outcome, reason: str = "") -> PullOutcome:
    return PullOutcome(pull.repository, pull.number, pull.url, outcome, reason)
