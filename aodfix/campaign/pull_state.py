"""Where one open pull request stands: mergeability, its head's checks, its reviews.

Three reads per open PR — the pull (``mergeable_state``, head sha), the head's check runs,
its reviews. Commit statuses (CI that still reports them) are read only when the head has
no check runs and GitHub does not already call the PR ``clean`` (mergeable with passing
statuses, so there is nothing failing to find). Closed and merged PRs need none.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from github import Github

from aodfix.forge.github_client import GitHubGateway

# Check-run conclusions and status states that count as passed / still running.
PASSED = frozenset({"success", "neutral", "skipped"})
PENDING = frozenset({"queued", "in_progress", "pending", "waiting", "requested", "expected"})


@dataclass(frozen=True)
class PullState:
    node_id: str  # the GraphQL id (marking a draft ready is a GraphQL mutation)
    draft: bool
    mergeable: bool | None  # None: GitHub has not computed it yet
    mergeable_state: str  # clean, blocked, dirty, unstable, draft, behind, unknown
    head_sha: str
    checks: str  # passed | failing | pending | none
    check_counts: str  # e.g. "3 success, 1 failure" (or "none")
    review: str  # approved | changes requested | review required | none
    approvals: int

    @property
    def conflicting(self) -> bool:
        return self.mergeable_state == "dirty"


def read_pull_state(
    gateway: GitHubGateway, client: Github, repository: str, number: int
) -> PullState:
    pull = gateway.get_json(client, f"/repos/{repository}/pulls/{number}", {})
    sha = str(pull["head"]["sha"])
    runs = gateway.get_json(
        client, f"/repos/{repository}/commits/{sha}/check-runs", {"per_page": 100}
    )
    states = [
        str(r.get("conclusion") or r.get("status") or "") for r in runs.get("check_runs") or []
    ]
    if not states and pull.get("mergeable_state") != "clean":
        combined = gateway.get_json(client, f"/repos/{repository}/commits/{sha}/status", {})
        states = [str(s.get("state") or "") for s in combined.get("statuses") or []]
    reviews = gateway.get_json(
        client, f"/repos/{repository}/pulls/{number}/reviews", {"per_page": 100}
    )
    review, approvals = _review(reviews, pull)
    counts = Counter(states)
    mergeable = pull.get("mergeable")
    return PullState(
        node_id=str(pull.get("node_id") or ""),
        draft=bool(pull.get("draft")),
        mergeable=mergeable if isinstance(mergeable, bool) else None,
        mergeable_state=str(pull.get("mergeable_state") or "unknown"),
        head_sha=sha,
        checks=_checks(states),
        check_counts=", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none",
        review=review,
        approvals=approvals,
    )


def _checks(states: list[str]) -> str:
    if not states:
        return "none"
    if any(s not in PASSED and s not in PENDING for s in states):
        return "failing"
    return "pending" if any(s in PENDING for s in states) else "passed"


def _review(reviews: Any, pull: Any) -> tuple[str, int]:
    """The reviewers' latest word each: changes requested wins over approvals."""
    latest: dict[str, str] = {}
    for review in reviews if isinstance(reviews, list) else []:
        state = str(review.get("state") or "")
        if state in ("APPROVED", "CHANGES_REQUESTED", "DISMISSED"):
            latest[str((review.get("user") or {}).get("login") or "?")] = state
    approvals = sum(1 for s in latest.values() if s == "APPROVED")
    if "CHANGES_REQUESTED" in latest.values():
        return "changes requested", approvals
    if approvals:
        return "approved", approvals
    if pull.get("requested_reviewers") or pull.get("requested_teams"):
        return "review required", 0
    return "none", 0
