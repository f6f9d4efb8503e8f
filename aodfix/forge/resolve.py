"""Look a repository up before its session: default branch, base branch, base commit.

Everything the session and the patch need from GitHub is fixed here, once: the sandbox
diffs against this exact base sha, and the patch is applied on it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import requests
from github import GithubException, UnknownObjectException
from github.Repository import Repository

from aodfix.errors import RepositorySkipped, StageError
from aodfix.forge.app_auth import AppAuthError
from aodfix.forge.git_work import GitRemote, foreign_branch, made_by_batch
from aodfix.forge.github_client import GitHubGateway, GitHubRateLimited, github_reason
from aodfix.forge.smart_http import SmartHttp, SmartHttpError
from aodfix.report.models import Stage

T = TypeVar("T")
COMMIT_ID = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class ResolvedRepository:
    full_name: str
    default_branch: str
    base: str
    base_sha: str
    private: bool
    handle: Repository  # the PyGithub object, reused for PR calls
    sandbox_token: str | None = field(default=None, repr=False)  # see forge.sandbox

    @property
    def base_is_default(self) -> bool:
        return self.base == self.default_branch


def resolve_repository(
    gateway: GitHubGateway,
    repository: str,
    base: str | None,
    *,
    need_push: bool = True,
    git_http: SmartHttp | None = None,
) -> ResolvedRepository:
    """The repository's base; archived → skipped, missing or unreadable → failed (resolve).

    With ``git_http`` the base commit is asked of git (``ls-refs``) rather than of the REST
    API: one REST read per repository instead of two, where GitHub's core budget (5,000 an
    hour) is what bounds a batch of thousands; the REST read is the fallback."""
    try:
        owner = repository.split("/")[0]
        repo = _read(gateway, lambda: gateway.client(owner).get_repo(repository), repository)
    except UnknownObjectException:
        raise StageError(
            Stage.RESOLVE, f"repository {repository} not found (or the token cannot see it)"
        ) from None
    except GithubException as exc:
        raise StageError(Stage.RESOLVE, f"cannot read {repository}: {github_reason(exc)}") from None
    if repo.archived:
        raise RepositorySkipped(Stage.RESOLVE, f"{repository} is archived")
    permissions = repo.permissions
    if need_push and permissions is not None and not permissions.push:
        raise StageError(Stage.RESOLVE, f"the token cannot push to {repository}")
    branch_name = base or repo.default_branch
    return ResolvedRepository(
        full_name=repo.full_name,
        default_branch=repo.default_branch,
        base=branch_name,
        base_sha=_base_sha(gateway, git_http, repo, branch_name, repository),
        private=bool(repo.private),
        handle=repo,
    )


def _base_sha(
    gateway: GitHubGateway,
    git_http: SmartHttp | None,
    repo: Repository,
    branch: str,
    repository: str,  # as the manifest names it, for the messages
) -> str:
    missing = f"base branch {branch!r} not found in {repository}"
    sha = _git_branch_sha(gateway, git_http, repo.full_name, branch)
    if sha == "":
        raise StageError(Stage.RESOLVE, missing)
    if sha is None:
        try:
            sha = _read(gateway, lambda: repo.get_branch(branch), repository).commit.sha
        except UnknownObjectException:
            raise StageError(Stage.RESOLVE, missing) from None
        except GithubException as exc:
            reason = github_reason(exc)
            message = f"cannot read branch {branch!r} of {repository}: {reason}"
            raise StageError(Stage.RESOLVE, message) from None
    if not isinstance(sha, str) or not COMMIT_ID.fullmatch(sha):  # the server's word
        message = f"GitHub named {str(sha)[:60]!r} as the tip of {branch!r} in {repository}"
        raise StageError(Stage.RESOLVE, f"{message}: not a commit id")
    return sha


def _git_branch_sha(
    gateway: GitHubGateway, git_http: SmartHttp | None, repository: str, branch: str
) -> str | None:
    """The branch's tip as git lists it ("" when there is no such branch); None when git
    could not be asked (no in-process git, or the server refused it)."""
    if git_http is None:
        return None
    try:
        token = gateway.token(repository.split("/")[0])
    except AppAuthError:
        return None
    remote = GitRemote.for_repository(gateway.settings.server_url, repository, token)
    ref = f"refs/heads/{branch}"
    try:
        return git_http.ls_refs(remote.url, dict(remote.headers), ref).get(ref, "")
    except SmartHttpError:
        return None


def _read(gateway: GitHubGateway, call: Callable[[], T], repository: str) -> T:
    """One read through the gateway; a rate limit it gave up on or a network failure is a
    readable failure at resolve (GithubExceptions are for the caller to explain)."""
    try:
        return gateway.read(call)
    except (GitHubRateLimited, AppAuthError) as exc:
        raise StageError(Stage.RESOLVE, f"cannot read {repository}: {exc}") from None
    except requests.RequestException as exc:
        raise StageError(
            Stage.RESOLVE, f"cannot read {repository}: GitHub unreachable ({type(exc).__name__})"
        ) from None


def check_branch_owner(
    gateway: GitHubGateway, repo: ResolvedRepository, branch: str, batch: str
) -> Literal["absent", "ours"]:
    """Skip, before any session runs, a batch branch whose tip aodfix did not write.

    The push checks again (the branch may move meanwhile); this saves the agent's time.
    """
    try:
        found = _read(gateway, lambda: repo.handle.get_branch(branch), repo.full_name)
    except UnknownObjectException:
        return "absent"
    except GithubException as exc:
        reason = github_reason(exc)
        message = f"cannot read branch {branch!r} of {repo.full_name}: {reason}"
        raise StageError(Stage.RESOLVE, message) from None
    commit = found.commit
    if not made_by_batch(commit.commit.message, batch):
        author = commit.commit.author
        who = f"{author.name} <{author.email}>" if author else "someone else"
        raise RepositorySkipped(Stage.RESOLVE, foreign_branch(branch, commit.sha, who))
    return "ours"
