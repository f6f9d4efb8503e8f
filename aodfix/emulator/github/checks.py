"""What a commit's statuses and check runs add up to, by GitHub's rules.

Only the newest status of each context and the newest check run of each name count (a
re-run replaces the verdict), and a check is named by its context or check-run name when a
protected branch requires it. Tests set both through ``GitHubEmulator.set_status`` and
``set_check``; nothing here runs CI.
"""

from __future__ import annotations

from typing import Literal

from aodfix.emulator.github.store import CheckRunRecord, RepositoryRecord, StatusRecord

Outcome = Literal["passed", "pending", "failed"]

STATUS_STATES = ("error", "failure", "pending", "success")
CHECK_STATUSES = ("queued", "in_progress", "completed", "waiting", "requested", "pending")
CHECK_CONCLUSIONS = (
    "success",
    "failure",
    "neutral",
    "cancelled",
    "skipped",
    "timed_out",
    "action_required",
)
_PASSING_CONCLUSIONS = frozenset({"success", "neutral", "skipped"})
_RANK: dict[Outcome, int] = {"passed": 0, "pending": 1, "failed": 2}


def latest_statuses(repo: RepositoryRecord, sha: str) -> list[StatusRecord]:
    """The newest status of each context on ``sha``, newest first (GitHub's order)."""
    latest: dict[str, StatusRecord] = {}
    for status in reversed(repo.statuses):
        if status.sha == sha:
            latest.setdefault(status.context, status)
    return list(latest.values())


def all_statuses(repo: RepositoryRecord, sha: str) -> list[StatusRecord]:
    """Every status ever set on ``sha``, newest first (``GET /commits/{ref}/statuses``)."""
    return [status for status in reversed(repo.statuses) if status.sha == sha]


def check_runs(repo: RepositoryRecord, sha: str, *, latest: bool = True) -> list[CheckRunRecord]:
    """The check runs on ``sha``, newest first; ``latest``: only the newest of each name."""
    runs = [run for run in reversed(repo.check_runs) if run.head_sha == sha]
    if not latest:
        return runs
    newest: dict[str, CheckRunRecord] = {}
    for run in runs:
        newest.setdefault(run.name, run)
    return list(newest.values())


def combined_state(statuses: list[StatusRecord]) -> str:
    """``failure`` if any context failed or errored, ``pending`` if none reported yet or one
    is pending, else ``success`` (check runs do not take part, as on GitHub)."""
    states = {status.state for status in statuses}
    if states & {"error", "failure"}:
        return "failure"
    if not states or "pending" in states:
        return "pending"
    return "success"


def outcomes(repo: RepositoryRecord, sha: str) -> dict[str, Outcome]:
    """Each check name on ``sha`` (status context or check-run name) and how it stands; a
    name reported both ways stands as the worse of the two."""
    found: dict[str, Outcome] = {}

    def note(name: str, outcome: Outcome) -> None:
        if name not in found or _RANK[outcome] > _RANK[found[name]]:
            found[name] = outcome

    for status in latest_statuses(repo, sha):
        note(status.context, _status_outcome(status.state))
    for run in check_runs(repo, sha):
        note(run.name, _run_outcome(run))
    return found


def _status_outcome(state: str) -> Outcome:
    if state == "success":
        return "passed"
    return "pending" if state == "pending" else "failed"


def _run_outcome(run: CheckRunRecord) -> Outcome:
    if run.status != "completed":
        return "pending"
    return "passed" if run.conclusion in _PASSING_CONCLUSIONS else "failed"
