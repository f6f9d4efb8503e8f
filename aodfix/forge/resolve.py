"""Look a repository up before its session: default branch, base branch, base commit.

Everything the session and the patch need from GitHub is fixed here, once: the sandbox
diffs against this exact base sha, and the patch is applied on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from github import GithubException, UnknownObjectException
from github.Repository import Repository

from aodfix.forge.errors import ForgeError, RepositorySkipped
from aodfix.forge.git_work import foreign_branch, made_by_batch
from aodfix.forge.github_client import GitHubGateway
from aodfix.report.models import Stage


@dataclass(frozen=True)
class ResolvedRepository:
    full_name: str
    default_branch: str
    base: str
    base_sha: str
    private: bool
    handle: Repository  # the PyGithub object, reused for PR calls

    @property
    def base_is_default(self) -> bool:
        return self.base == self.default_branch


def resolve_repository(
    gateway: GitHubGateway, repository: str, base: str | None, *, need_push: bool = True
) -> ResolvedRepository:
    """The repository's base; archived → skipped, missing or unreadable → failed (resolve)."""
    try:
        repo = gateway.read(lambda: gateway.github.get_repo(repository))
    except UnknownObjectException:
        raise ForgeError(
            Stage.RESOLVE, f"repository {repository} not found (or the token cannot see it)"
        ) from None
    except GithubException as exc:
        raise ForgeError(Stage.RESOLVE, f"cannot read {repository}: {_describe(exc)}") from None
    if repo.archived:
        raise RepositorySkipped(Stage.RESOLVE, f"{repository} is archived")
    permissions = repo.permissions
    if need_push and permissions is not None and not permissions.push:
        raise ForgeError(Stage.RESOLVE, f"the token cannot push to {repository}")
    branch_name = base or repo.default_branch
    try:
        branch = gateway.read(lambda: repo.get_branch(branch_name))
    except UnknownObjectException:
        raise ForgeError(
            Stage.RESOLVE, f"base branch {branch_name!r} not found in {repository}"
        ) from None
    except GithubException as exc:
        raise ForgeError(
            Stage.RESOLVE, f"cannot read branch {branch_name!r} of {repository}: {_describe(exc)}"
        ) from None
    return ResolvedRepository(
        full_name=repo.full_name,
        default_branch=repo.default_branch,
        base=branch_name,
        base_sha=branch.commit.sha,
        private=bool(repo.private),
        handle=repo,
    )


def _describe(exc: GithubException) -> str:
    message = exc.data.get("message") if isinstance(exc.data, dict) else None
    return f"HTTP {exc.status}: {message or exc.data or 'no message'}"


def check_branch_owner(
    gateway: GitHubGateway, repo: ResolvedRepository, branch: str, batch: str
) -> Literal["absent", "ours"]:
    """Skip, before any session runs, a batch branch whose tip aodfix did not write.

    The push checks again (the branch may move meanwhile); this saves the agent's time.
    """
    try:
        found = gateway.read(lambda: repo.handle.get_branch(branch))
    except UnknownObjectException:
        return "absent"
    except GithubException as exc:
        raise ForgeError(
            Stage.RESOLVE, f"cannot read branch {branch!r} of {repo.full_name}: {_describe(exc)}"
        ) from None
    commit = found.commit
    if not made_by_batch(commit.commit.message, batch):
        author = commit.commit.author
        who = f"{author.name} <{author.email}>" if author else "someone else"
        raise RepositorySkipped(Stage.RESOLVE, foreign_branch(branch, commit.sha, who))
    return "ours"
