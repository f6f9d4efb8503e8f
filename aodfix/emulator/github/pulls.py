"""Pull-request rules that both the REST API and the emulator's Python API apply.

Branch tips are read from the bare repository when asked, never cached while a PR is open,
so a push is visible in the very next ``GET /pulls/N`` as it is on GitHub. Mergeability is
git's answer (``merge-tree``) plus the base branch's protection: required checks and
approvals (``checks``, the PR's reviews).
"""

from __future__ import annotations

from aodfix.emulator.github import checks
from aodfix.emulator.github.git_repos import DiffStats
from aodfix.emulator.github.shapes import PullDetail
from aodfix.emulator.github.store import (
    BranchProtectionRecord,
    IssueRecord,
    PullRecord,
    RepositoryRecord,
    ReviewRecord,
    utc_now,
)

_NO_SHA = "0" * 40
PROTECTION_DOCS = "https://docs.github.com/articles/about-protected-branches"
NOT_MERGEABLE = "Pull Request is not mergeable"
BEHIND = "Head branch is not up to date with the base branch"
REVIEW_STATES = ("APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED")
# Reviews whose latest word per reviewer decides the PR's review state (COMMENTED does not).
_DECIDING_REVIEWS = frozenset({"APPROVED", "CHANGES_REQUESTED", "DISMISSED"})


class MergeRefused(Exception):
    """The pull request cannot be merged; ``status`` is GitHub's answer code for it."""

    def __init__(self, status: int, message: str, *, docs: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.docs = docs


def head_sha(repo: RepositoryRecord, record: IssueRecord, pull: PullRecord) -> str:
    """The head branch tip while open; the last known tip once closed or deleted."""
    if record.state == "open":
        current = repo.bare.resolve(f"refs/heads/{pull.head_ref}")
        if current is not None:
            pull.head_sha = current
    return pull.head_sha


def base_sha(repo: RepositoryRecord, pull: PullRecord) -> str:
    return repo.bare.resolve(f"refs/heads/{pull.base_ref}") or _NO_SHA


def compare_base(repo: RepositoryRecord, pull: PullRecord) -> str | None:
    """What the PR's commits are counted from: the base tip, or the base as it was merged into."""
    if pull.merge_commit_sha:
        return repo.bare.resolve(f"{pull.merge_commit_sha}^1")
    return repo.bare.resolve(f"refs/heads/{pull.base_ref}")


def detail(repo: RepositoryRecord, record: IssueRecord, pull: PullRecord) -> PullDetail:
    """Mergeability and diff counts, computed with git as GitHub computes them."""
    head = head_sha(repo, record, pull)
    base = compare_base(repo, pull)
    if base is None:
        return PullDetail(None, "unknown", 0, 0, 0, 0)
    stats = repo.bare.diff_stats(base, head)
    commits = repo.bare.count_commits(base, head)
    if record.state != "open":
        return PullDetail(None, "unknown", commits, *_counts(stats))
    if pull.unknown_reads > 0:  # GitHub is still computing it (a test asked for this)
        pull.unknown_reads -= 1
        return PullDetail(None, "unknown", commits, *_counts(stats))
    mergeable = repo.bare.merge_tree(base, head) is not None
    state = mergeable_state(repo, pull, head, base, mergeable=mergeable)
    return PullDetail(mergeable, state, commits, *_counts(stats))


def mergeable_state(
    repo: RepositoryRecord, pull: PullRecord, head: str, base: str, *, mergeable: bool
) -> str:
    """GitHub's ``mergeable_state`` of an open PR, first rule that applies: ``draft``,
    ``dirty`` (conflicts), ``blocked`` (the base's protection is not satisfied), ``behind``
    (a strict protection and the base moved on), ``unstable`` (a check that is not required
    has not passed), else ``clean``."""
    if pull.draft:
        return "draft"
    if not mergeable:
        return "dirty"
    protection = repo.protections.get(pull.base_ref)
    if protection_refusal(repo, pull, head, protection) is not None:
        return "blocked"
    if is_behind(repo, head, base, protection):
        return "behind"
    required = set(protection.required_checks) if protection else set()
    outcomes = checks.outcomes(repo, head)
    if any(outcome != "passed" for name, outcome in outcomes.items() if name not in required):
        return "unstable"
    return "clean"


def add_review(pull: PullRecord, review: ReviewRecord) -> None:
    """Record a submitted review; it answers the reviewer's pending review request."""
    pull.reviews.append(review)
    pull.requested_reviewers = [
        login for login in pull.requested_reviewers if login.lower() != review.user.lower()
    ]


def review_tally(pull: PullRecord) -> tuple[int, bool]:
    """Approvals, and whether changes are requested, from each reviewer's latest verdict."""
    latest: dict[str, str] = {}
    for review in pull.reviews:
        if review.state in _DECIDING_REVIEWS:
            latest[review.user.lower()] = review.state
    approvals = sum(1 for state in latest.values() if state == "APPROVED")
    return approvals, "CHANGES_REQUESTED" in latest.values()


def protection_refusal(
    repo: RepositoryRecord, pull: PullRecord, head: str, protection: BranchProtectionRecord | None
) -> str | None:
    """GitHub's 405 message when the base's protection is not satisfied, or None."""
    if protection is None:
        return None
    outcomes = checks.outcomes(repo, head)
    unmet = [name for name in protection.required_checks if outcomes.get(name) != "passed"]
    if len(unmet) == 1:
        verb = "is failing" if outcomes.get(unmet[0]) == "failed" else "is expected"
        return f'Required status check "{unmet[0]}" {verb}.'
    if unmet:
        total = len(protection.required_checks)
        return f"{len(unmet)} of {total} required status checks are expected."
    if protection.required_approvals:
        approvals, changes_requested = review_tally(pull)
        if changes_requested:
            return "Changes were requested by a reviewer with write access."
        if approvals < protection.required_approvals:
            count = protection.required_approvals
            reviews = "review is" if count == 1 else "reviews are"
            return f"At least {count} approving {reviews} required by reviewers with write access."
    return None


def is_behind(
    repo: RepositoryRecord, head: str, base: str, protection: BranchProtectionRecord | None
) -> bool:
    """Whether a strict protection wants the head updated with the base first."""
    return bool(protection and protection.strict and not repo.bare.is_ancestor(base, head))


def _counts(stats: DiffStats) -> tuple[int, int, int]:
    return stats.additions, stats.deletions, stats.changed_files


def open_duplicate(
    repo: RepositoryRecord, head_ref: str, base_ref: str, *, other_than: int | None = None
) -> IssueRecord | None:
    """An open PR with the same head and base; GitHub allows only one."""
    for record, pull in repo.pulls():
        if (
            record.number != other_than
            and record.state == "open"
            and pull.head_ref == head_ref
            and pull.base_ref == base_ref
        ):
            return record
    return None


def merge(
    repo: RepositoryRecord,
    record: IssueRecord,
    pull: PullRecord,
    *,
    merger: str,
    method: str = "merge",
    title: str | None = None,
    message: str | None = None,
    expected_head: str | None = None,
    enforce_protection: bool = True,
) -> str:
    """Merge the PR into its base as GitHub's merge button would; returns the new base tip.

    ``enforce_protection=False`` is an administrator's merge, which the base's required
    checks and reviews do not stop (conflicts and drafts still do).
    """
    if pull.merged or record.state != "open":
        raise MergeRefused(405, NOT_MERGEABLE)
    if pull.draft:
        raise MergeRefused(405, "Pull Request is still a draft")
    head = head_sha(repo, record, pull)
    if expected_head is not None and expected_head != head:
        raise MergeRefused(409, "Head branch was modified. Review and try the merge again.")
    base = repo.bare.resolve(f"refs/heads/{pull.base_ref}")
    if base is None:
        raise MergeRefused(422, f"Base branch {pull.base_ref} does not exist")
    tree = repo.bare.merge_tree(base, head)
    if tree is None:
        raise MergeRefused(405, NOT_MERGEABLE)
    protection = repo.protections.get(pull.base_ref) if enforce_protection else None
    refusal = protection_refusal(repo, pull, head, protection)
    if refusal is None and is_behind(repo, head, base, protection):
        refusal = BEHIND
    if refusal is not None:
        raise MergeRefused(405, refusal, docs=PROTECTION_DOCS)
    if method == "merge":
        subject = title or f"Merge pull request #{record.number} from {repo.owner}/{pull.head_ref}"
        parents = [base, head]
    else:  # squash and rebase both land the PR's changes as one new commit on the base
        subject = title or f"{record.title} (#{record.number})"
        parents = [base]
    text = f"{subject}\n\n{message if message is not None else record.title}\n"
    sha = repo.bare.commit_tree(tree, parents, text)
    if not repo.bare.update_ref(f"refs/heads/{pull.base_ref}", sha, base):
        raise MergeRefused(409, "Base branch was modified. Review and try the merge again.")
    now = utc_now()
    pull.merged = True
    pull.merged_at = now
    pull.merged_by = merger
    pull.merge_commit_sha = sha
    pull.head_sha = head
    record.state = "closed"
    record.closed_at = now
    record.updated_at = now
    return sha


def update_branch(
    repo: RepositoryRecord, record: IssueRecord, pull: PullRecord, *, expected_head: str | None
) -> str:
    """Merge the base into the head branch, as "Update branch" does; returns the new head."""
    if record.state != "open":
        raise MergeRefused(422, "Pull request is closed")
    head = head_sha(repo, record, pull)
    if expected_head is not None and expected_head != head:
        raise MergeRefused(422, "expected head sha didn't match current head ref.")
    base = repo.bare.resolve(f"refs/heads/{pull.base_ref}")
    if base is None or repo.bare.is_ancestor(base, head):
        raise MergeRefused(422, "There are no new commits on the base branch.")
    tree = repo.bare.merge_tree(head, base)
    if tree is None:
        raise MergeRefused(422, "merge conflict between base and head")
    text = f"Merge branch '{pull.base_ref}' into {pull.head_ref}\n"
    sha = repo.bare.commit_tree(tree, [head, base], text)
    if not repo.bare.update_ref(f"refs/heads/{pull.head_ref}", sha, head):
        raise MergeRefused(422, "expected head sha didn't match current head ref.")
    pull.head_sha = sha
    return sha
