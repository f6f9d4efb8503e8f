"""The emulator's GitHub state: repositories, issues, pull requests, labels, comments.

Git data (branches, commits) lives in the bare repositories and is read at request time;
this store keeps only what GitHub keeps beside git. The server thread and the test thread
both use it, so every access goes through ``Store.lock``.
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from aodfix.emulator.github.git_repos import BareRepository

_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
AccountKind = Literal["User", "Organization"]


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class LabelRecord:
    id: int
    name: str
    color: str
    description: str | None = None


@dataclass
class CommentRecord:
    id: int
    issue_number: int
    body: str
    user: str
    created_at: datetime
    updated_at: datetime


@dataclass
class PullRecord:
    """What GitHub stores for a pull request beyond its issue."""

    id: int
    head_ref: str
    head_sha: str  # last known tip, kept for when the head branch is deleted
    base_ref: str
    draft: bool
    maintainer_can_modify: bool
    requested_reviewers: list[str] = field(default_factory=list)
    requested_teams: list[str] = field(default_factory=list)
    merged: bool = False
    merged_at: datetime | None = None
    merged_by: str | None = None
    merge_commit_sha: str | None = None
    reviews: list[ReviewRecord] = field(default_factory=list)
    unknown_reads: int = 0  # single-PR reads still to answer ``mergeable: null`` (computing)


@dataclass(frozen=True)
class ReviewRecord:
    """A submitted review (``POST /pulls/N/reviews``, or a test's ``add_review``)."""

    id: int
    user: str
    state: str  # APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED
    body: str
    commit_id: str
    submitted_at: datetime


@dataclass(frozen=True)
class BranchProtectionRecord:
    """One protected branch: pushes to it are refused (GH006), and merges into it wait for
    ``required_checks`` (status contexts or check-run names) and ``required_approvals``."""

    required_checks: tuple[str, ...] = ()
    strict: bool = False  # the head must contain the base tip ("require up to date")
    required_approvals: int = 0  # 0: no review rule at all (then changes requested don't block)


@dataclass(frozen=True)
class CheckRunRecord:
    """A check run on a commit, as a CI app would report it (set by tests)."""

    id: int
    head_sha: str
    name: str
    status: str  # queued | in_progress | completed | waiting | requested | pending
    conclusion: str | None  # set once completed: success, failure, neutral, skipped, ...
    started_at: datetime
    completed_at: datetime | None
    details_url: str | None = None
    title: str | None = None
    summary: str | None = None


@dataclass(frozen=True)
class StatusRecord:
    """A commit status (``POST /statuses/{sha}``, or a test's ``set_status``)."""

    id: int
    sha: str
    context: str
    state: str  # error | failure | pending | success
    creator: str
    created_at: datetime
    description: str | None = None
    target_url: str | None = None


@dataclass
class IssueRecord:
    """An issue; a pull request is an issue with ``pull`` set (they share numbers)."""

    id: int
    number: int
    title: str
    body: str | None
    user: str
    created_at: datetime
    updated_at: datetime
    state: str = "open"
    state_reason: str | None = None
    closed_at: datetime | None = None
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    comments: list[CommentRecord] = field(default_factory=list)
    pull: PullRecord | None = None

    def touch(self) -> None:
        self.updated_at = utc_now()


@dataclass
class RepositoryRecord:
    id: int
    owner: str
    name: str
    default_branch: str
    private: bool
    archived: bool
    created_at: datetime
    bare: BareRepository
    description: str | None = None
    owner_type: AccountKind = "Organization"
    fork: bool = False
    topics: list[str] = field(default_factory=list)
    language: str | None = None  # GitHub detects it from the files; here the seeder names it
    protections: dict[str, BranchProtectionRecord] = field(default_factory=dict)  # by branch
    check_runs: list[CheckRunRecord] = field(default_factory=list)  # oldest first
    statuses: list[StatusRecord] = field(default_factory=list)  # oldest first
    labels: dict[str, LabelRecord] = field(default_factory=dict)  # by lower-case name
    issues: dict[int, IssueRecord] = field(default_factory=dict)
    pushed_at: datetime | None = None

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def updated_at(self) -> datetime:
        return self.pushed_at or self.created_at

    @property
    def protected_branches(self) -> list[str]:
        return list(self.protections)

    def next_number(self) -> int:
        return max(self.issues, default=0) + 1

    def pulls(self) -> list[tuple[IssueRecord, PullRecord]]:
        return [(issue, issue.pull) for issue in self.issues.values() if issue.pull is not None]

    def find_comment(self, comment_id: int) -> tuple[IssueRecord, CommentRecord] | None:
        for issue in self.issues.values():
            for comment in issue.comments:
                if comment.id == comment_id:
                    return issue, comment
        return None


# GitHub's default label palette, cycled for labels created implicitly by an issue edit.
_LABEL_COLORS = ("d73a4a", "0075ca", "cfd3d7", "a2eeef", "7057ff", "008672", "e4e669", "d876e3")


@dataclass(frozen=True)
class AccountRecord:
    """A user or organisation: what ``/orgs/{org}/repos`` and search qualifiers look up."""

    login: str
    kind: AccountKind
    created_at: datetime = field(default_factory=lambda: utc_now())


class Store:
    """All repositories and accounts of one emulator, keyed case-insensitively as GitHub does."""

    def __init__(self, repos_root: Path) -> None:
        self.repos_root = repos_root
        self.lock = threading.RLock()
        self._repos: dict[str, RepositoryRecord] = {}
        self._accounts: dict[str, AccountRecord] = {}
        self._ids = itertools.count(1001)

    def add_account(self, login: str, kind: AccountKind) -> AccountRecord:
        """Register ``login`` (the first registration decides its kind); returns the record."""
        with self.lock:
            return self._accounts.setdefault(login.lower(), AccountRecord(login, kind))

    def account(self, login: str) -> AccountRecord | None:
        with self.lock:
            return self._accounts.get(login.lower())

    def next_id(self) -> int:
        with self.lock:
            return next(self._ids)

    def bare_path(self, full_name: str) -> Path:
        owner, name = split_full_name(full_name)
        return self.repos_root / owner / f"{name}.git"

    def add(self, repo: RepositoryRecord) -> None:
        with self.lock:
            key = repo.full_name.lower()
            if key in self._repos:
                raise ValueError(f"repository {repo.full_name} already exists")
            self._repos[key] = repo

    def get(self, full_name: str) -> RepositoryRecord | None:
        with self.lock:
            return self._repos.get(full_name.lower())

    def require(self, full_name: str) -> RepositoryRecord:
        repo = self.get(full_name)
        if repo is None:
            raise KeyError(f"no repository {full_name} in the GitHub emulator")
        return repo

    def all(self) -> list[RepositoryRecord]:
        with self.lock:
            return list(self._repos.values())

    def pull_by_id(self, pull_id: int) -> tuple[RepositoryRecord, IssueRecord, PullRecord] | None:
        """The PR whose database id is ``pull_id`` (GraphQL addresses PRs by node id)."""
        with self.lock:
            for repo in self._repos.values():
                for record, pull in repo.pulls():
                    if pull.id == pull_id:
                        return repo, record, pull
            return None

    def label(self, repo: RepositoryRecord, name: str) -> LabelRecord:
        """The repository's label ``name``, created on first use as GitHub does on edit."""
        with self.lock:
            key = name.lower()
            if key not in repo.labels:
                color = _LABEL_COLORS[len(repo.labels) % len(_LABEL_COLORS)]
                repo.labels[key] = LabelRecord(self.next_id(), name, color)
            return repo.labels[key]


def split_full_name(full_name: str) -> tuple[str, str]:
    """``owner/name`` split and checked against GitHub's allowed characters."""
    owner, _, name = full_name.partition("/")
    if not (_NAME.match(owner) and _NAME.match(name)) or name.endswith(".git"):
        raise ValueError(f"not a repository full name (OWNER/NAME): {full_name!r}")
    return owner, name
