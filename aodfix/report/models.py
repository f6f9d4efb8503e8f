"""What happened to each repository, as plain data that the report and state file share."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from aodfix.patch.summary import Diffstat


class Status(StrEnum):
    """Every repository ends in exactly one of these (DESIGN.md §3)."""

    PR_OPENED = "pr_opened"
    PR_UPDATED = "pr_updated"
    UNCHANGED = "unchanged"
    NO_CHANGES = "no_changes"
    DRY_RUN = "dry_run"
    FAILED = "failed"
    SKIPPED = "skipped"

    @property
    def ok(self) -> bool:
        """Whether this status lets the batch exit 0."""
        return self is not Status.FAILED


class Stage(StrEnum):
    """Where a repository failed or was skipped."""

    RESOLVE = "resolve"
    AGENT = "agent"
    COLLECT = "collect"
    POLICY = "policy"
    APPLY = "apply"
    PUSH = "push"
    PULL_REQUEST = "pull_request"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class PullRequestRef:
    number: int
    url: str


@dataclass(frozen=True)
class ErrorInfo:
    stage: Stage
    message: str


@dataclass
class Timings:
    queued: float = 0.0
    session: float = 0.0
    total: float = 0.0


@dataclass
class RepoResult:
    """The final outcome of one repository; the unit of the state file and the report."""

    repository: str
    status: Status
    branch: str | None = None
    base: str | None = None
    base_sha: str | None = None
    pull_request: PullRequestRef | None = None
    session_id: str | None = None
    diffstat: Diffstat | None = None
    error: ErrorInfo | None = None
    timings: Timings = field(default_factory=Timings)
    turns: int = 0
    cost_usd: float | None = None
    summary: str | None = None
    patch: str | None = None
    transcript: str | None = None  # the session's output, relative to the report directory
    notes: list[str] = field(default_factory=list)  # allowed but worth a look: mode changes

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        if self.error is not None:
            data["error"]["stage"] = self.error.stage.value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RepoResult:
        pr = data.get("pull_request")
        diffstat = data.get("diffstat")
        error = data.get("error")
        return cls(
            repository=str(data["repository"]),
            status=Status(data["status"]),
            branch=data.get("branch"),
            base=data.get("base"),
            base_sha=data.get("base_sha"),
            pull_request=PullRequestRef(int(pr["number"]), str(pr["url"])) if pr else None,
            session_id=data.get("session_id"),
            diffstat=Diffstat(**diffstat) if diffstat else None,
            error=ErrorInfo(Stage(error["stage"]), str(error["message"])) if error else None,
            timings=Timings(**(data.get("timings") or {})),
            turns=int(data.get("turns") or 0),
            cost_usd=data.get("cost_usd"),
            summary=data.get("summary"),
            patch=data.get("patch"),
            transcript=data.get("transcript"),
            notes=[str(n) for n in data.get("notes") or []],
        )


@dataclass
class Report:
    """A batch run: what the report files hold."""

    manifest_name: str
    manifest_path: str
    dry_run: bool
    started_at: str
    finished_at: str | None
    results: list[RepoResult]
    interrupted: bool = False

    @property
    def totals(self) -> dict[str, int]:
        counts = {status.value: 0 for status in Status}
        for result in self.results:
            counts[result.status.value] += 1
        return counts

    @property
    def ok(self) -> bool:
        return not self.interrupted and all(r.status.ok for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {
            "manifest": {"name": self.manifest_name, "path": self.manifest_path},
            "dry_run": self.dry_run,
            "interrupted": self.interrupted,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "totals": self.totals,
            "results": [r.to_dict() for r in self.results],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        manifest = data.get("manifest") or {}
        return cls(
            manifest_name=str(manifest.get("name", "")),
            manifest_path=str(manifest.get("path", "")),
            dry_run=bool(data.get("dry_run")),
            started_at=str(data.get("started_at", "")),
            finished_at=data.get("finished_at"),
            results=[RepoResult.from_dict(r) for r in data.get("results", [])],
            interrupted=bool(data.get("interrupted")),
        )


def merge_reports(reports: list[Report]) -> Report:
    """One report from the shards of a batch: every repository once, the later shard wins.

    Raises ValueError when the reports are of different batches.
    """
    if not reports:
        raise ValueError("no reports to merge")
    names = {r.manifest_name for r in reports}
    if len(names) > 1:
        raise ValueError(f"reports of different batches: {', '.join(sorted(names))}")
    results: dict[str, RepoResult] = {}
    for report in reports:
        for result in report.results:
            results[result.repository] = result
    finished = [r.finished_at for r in reports]
    return Report(
        manifest_name=reports[0].manifest_name,
        manifest_path=reports[0].manifest_path,
        dry_run=all(r.dry_run for r in reports),
        started_at=min(r.started_at for r in reports),
        finished_at=None if None in finished else max(f for f in finished if f is not None),
        results=list(results.values()),
        interrupted=any(r.interrupted for r in reports),
    )
