"""Read-only snapshots of emulator state for tests and ``aodfix demo`` to inspect.

Snapshots, not live records: the server thread keeps mutating the store, and a test
asserting on a copy cannot race it. List fields are fresh copies, so comparing them with
plain lists works.
"""

from __future__ import annotations

from dataclasses import dataclass


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
