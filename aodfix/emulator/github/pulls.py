"""Pull-request rules that both the REST API and the emulator's Python API apply.

Branch tips are read from the bare repository when asked, never cached while a PR is open,
so a push is visible in the very next ``GET /pulls/N`` as it is on GitHub.
"""

from __future__ import annotations

from aodfix.emulator.github.git_repos import DiffStats
from aodfix.emulator.github.shapes import PullDetail
from aodfix.emulator.github.store import IssueRecord, PullRecord, RepositoryRecord, utc_now

_NO_SHA = "0" * 40


class MergeRefused(Exception):
    """The pull request cannot be merged; ``status`` is GitHub's answer code for it."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


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
    mergeable = repo.bare.merge_tree(base, head) is not None
    state = "dirty" if not mergeable else "draft" if pull.draft else "clean"
    return PullDetail(mergeable, state, commits, *_counts(stats))


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
) -> str:
    """Merge the PR into its base as GitHub's merge button would; returns the new base tip."""
    if pull.merged or record.state != "open":
        raise MergeRefused(405, "Pull Request is not mergeable")
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
        raise MergeRefused(405, "Pull Request is not mergeable")
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
