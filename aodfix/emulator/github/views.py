"""Read-only snapshots of emulator state for tests and ``aodfix demo`` to inspect.

Snapshots, not live records: the server thread keeps mutating the store, and a test
asserting on a copy cannot race it. List fields are fresh copies, so comparing them with
plain lists works.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PullRequestView:
    full_name: str
    number: int
    title: str
    body: str | None
    state: str  # "open" or "closed"
    draft: bool
    merged: bool
    head_ref: str
    head_sha: str  # the head branch tip now (the last known tip once closed)
    base_ref: str
    user: str
    labels: list[str]
    assignees: list[str]
    requested_reviewers: list[str]
    requested_teams: list[str]
    comments: list[str]  # comment bodies, oldest first
    html_url: str
    merge_commit_sha: str | None
    node_id: str  # what GraphQL mutations (mark ready, convert to draft) address it by
    reviews: list[tuple[str, str]]  # (reviewer, state), oldest first


@dataclass(frozen=True)
class TokenView:
    """What one token may do, for tests to assert on (e.g. what a sandbox was handed)."""

    label: str  # the name the request log records it under
    kind: str  # "classic", "fine_grained" or "installation"
    login: str  # the account it acts as
    repositories: list[str] | None  # lower-case full names; None: every one it can reach
    permissions: dict[str, str] | None  # None: everything (a classic token)
    expires_at: datetime | None
    installation_id: int | None


@dataclass(frozen=True)
class GitHubAppView:
    """A registered app: what aodfix needs to authenticate as it, and its installations."""

    app_id: int
    slug: str
    client_id: str
    private_key_pem: str  # PKCS#1 PEM, as GitHub's "Generate a private key" downloads
    installations: dict[str, int]  # account -> installation id
