"""Open or update the batch's one pull request per repository, with as few writes as possible.

A new PR costs at most three writes: create, one issue PATCH that sets labels and
assignees together, and one review request. An existing PR is edited only when its
branch moved or its title or body differ. A new PR's writes are booked together under
GitHub's content-creation limits (``GitHubGateway.reserve``): it goes out whole, or is
deferred whole when the budget will not free up within AODFIX_GITHUB_MAX_WAIT.
"""

from __future__ import annotations

from dataclasses import dataclass

from github import GithubException
from github.PullRequest import PullRequest

from aodfix.errors import RepositoryDeferred, StageError
from aodfix.forge.github_client import GitHubGateway, GitHubRateLimited, github_reason
from aodfix.forge.resolve import ResolvedRepository
from aodfix.report.models import Stage


@dataclass(frozen=True)
class PullRequestRequest:
    """What the PR should look like."""

    branch: str
    base: str
    title: str
    body: str
    draft: bool
    labels: tuple[str, ...]
    reviewers: tuple[str, ...]
    team_reviewers: tuple[str, ...]
    assignees: tuple[str, ...]


@dataclass(frozen=True)
class PullRequestOutcome:
    number: int
    url: str
    created: bool


def find_open_pull(
    gateway: GitHubGateway, repo: ResolvedRepository, branch: str
) -> PullRequest | None:
    """The open PR whose head is ``branch`` in the same repository, if any."""
    owner = repo.full_name.split("/")[0]

    def first() -> PullRequest | None:
        for pull in repo.handle.get_pulls(state="open", head=f"{owner}:{branch}"):
            return pull
        return None

    return gateway.read(first)


def open_or_update(
    gateway: GitHubGateway,
    repo: ResolvedRepository,
    want: PullRequestRequest,
    *,
    branch_moved: bool,
) -> PullRequestOutcome:
    """Make the batch's PR match ``want``; errors fail the repository at stage pull_request."""
    try:
        existing = find_open_pull(gateway, repo, want.branch)
        if existing is None:
            try:
                return _create(gateway, repo, want)
            except GithubException as exc:
                if exc.status != 422 or "already exists" not in str(exc.data):
                    raise
                existing = find_open_pull(gateway, repo, want.branch)  # lost a race
                if existing is None:
                    raise
        return _update(gateway, existing, want, branch_moved=branch_moved)
    except GitHubRateLimited as exc:
        raise RepositoryDeferred(
            f"{exc}; the branch is pushed — `aodfix apply --resume` opens the pull request",
            Stage.PULL_REQUEST,
        ) from None
    except GithubException as exc:
        raise StageError(
            Stage.PULL_REQUEST, f"GitHub refused the pull request: {github_reason(exc)}"
        ) from None


def _create(
    gateway: GitHubGateway, repo: ResolvedRepository, want: PullRequestRequest
) -> PullRequestOutcome:
    edits_issue = bool(want.labels or want.assignees)
    requests_review = bool(want.reviewers or want.team_reviewers)
    slots = iter(gateway.reserve(1 + edits_issue + requests_review))
    pull = gateway.write(
        lambda: repo.handle.create_pull(
            base=want.base, head=want.branch, title=want.title, body=want.body, draft=want.draft
        ),
        slot=next(slots),
    )
    if edits_issue:
        issue = gateway.read(pull.as_issue)
        gateway.write(
            lambda: issue.edit(labels=list(want.labels), assignees=list(want.assignees)),
            slot=next(slots),
        )
    if requests_review:
        gateway.write(
            lambda: pull.create_review_request(
                reviewers=list(want.reviewers), team_reviewers=list(want.team_reviewers)
            ),
            slot=next(slots),
        )
    return PullRequestOutcome(pull.number, pull.html_url, created=True)


def _update(
    gateway: GitHubGateway, pull: PullRequest, want: PullRequestRequest, *, branch_moved: bool
) -> PullRequestOutcome:
    """Refresh title and body after a new push; leave a PR whose branch did not move alone."""
    if branch_moved and (pull.title != want.title or (pull.body or "") != want.body):
        gateway.write(lambda: pull.edit(title=want.title, body=want.body))
    present = {label.name for label in pull.labels}
    missing = [name for name in want.labels if name not in present]
    if missing:
        gateway.write(lambda: pull.add_to_labels(*missing))
    return PullRequestOutcome(pull.number, pull.html_url, created=False)
